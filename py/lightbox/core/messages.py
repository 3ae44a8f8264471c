"""The engine's messages that the page shows, each with a stable id (issue 18 item 4).

A :class:`Message` is the English text itself (a ``str``: it reads, compares and joins as
before) that also carries its catalog id and its parameters, so that the page can show the
same message in the user's language: ``t(key, params)`` of web/js/i18n when the catalog
has the id, the English text otherwise. The ids and their English templates are
``messages.json`` beside this module, the one registry the page's catalogs are checked
against (tests/js/engine-messages.test.js); ``{name}`` is a parameter, as in the catalogs.
A plural message has ``<id>.one`` and ``<id>.other`` templates and a ``count``.

Parameters are text as it is (a file name, a DICOM value, words from pydicom), a number
(written the language's way by the page), :class:`Fixed` (a number with a fixed count of
decimals) or another Message (translated in its turn).
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

#: id → English template, as messages.json has them.
MESSAGES: dict[str, str] = json.loads(
    Path(__file__).with_name("messages.json").read_text(encoding="utf-8")
)


@dataclass(frozen=True)
class Fixed:
    """A number written with ``digits`` decimals ("3.0 GiB"; "3,0 GiB" in German)."""

    value: float
    digits: int


def _english(value: Any) -> str:
    if isinstance(value, Fixed):
        return f"{value.value:.{value.digits}f}"
    if isinstance(value, float):  # as JavaScript writes a number: 2.5, 12 (not 12.0)
        return str(int(value)) if value.is_integer() else repr(value)
    return str(value)


def _json(value: Any) -> Any:
    if isinstance(value, Message):
        return {"said": value.to_json()}
    if isinstance(value, Fixed):
        return {"number": round(value.value, value.digits), "digits": value.digits}
    if isinstance(value, str | int | float):
        return value
    return str(value)


class Message(str):
    """English text with its catalog id and parameters (see the module's notes).

    Build one with :func:`say`; the text is the template of ``key`` in
    :data:`MESSAGES` filled with ``params`` (``.one`` or ``.other`` by ``count``).
    """

    key: str
    params: Mapping[str, Any]
    #: the count a plural message is said for (``str.count`` keeps its meaning)
    tally: int | None

    def __new__(cls, key: str, params: Mapping[str, Any], count: int | None = None) -> Message:
        template = key if count is None else f"{key}.{'one' if count == 1 else 'other'}"
        values = {name: _english(v) for name, v in params.items()}
        if count is not None:
            values["count"] = str(count)
        self = super().__new__(cls, MESSAGES[template].format(**values))
        self.key, self.params, self.tally = key, dict(params), count
        return self

    def __reduce__(self) -> tuple[Any, ...]:
        return (Message, (self.key, dict(self.params), self.tally))

    def to_json(self) -> dict[str, Any]:
        """``{text, key, params}`` (and ``count`` for a plural), what the page translates."""
        out: dict[str, Any] = {
            "text": str(self),
            "key": self.key,
            "params": {name: _json(v) for name, v in self.params.items()},
        }
        if self.tally is not None:
            out["count"] = self.tally
        return out


def say(key: str, count: int | None = None, **params: Any) -> Message:
    """The message ``key`` of :data:`MESSAGES` with its parameters (a KeyError if unknown).

    ``count`` is a plural's count (``key.one``/``key.other``); a message that is not a
    plural names its numbers otherwise."""
    return Message(key, params, count)


def said(text: str) -> dict[str, Any]:
    """What the page is sent of an engine text: a Message's ``to_json``, else ``{text}``."""
    return text.to_json() if isinstance(text, Message) else {"text": str(text)}


def with_said(record: dict[str, Any], text: str) -> dict[str, Any]:
    """``record`` with ``said`` (the Message of ``text``) added when ``text`` is one: what
    has no catalog id is sent as before."""
    return {**record, "said": text.to_json()} if isinstance(text, Message) else record
