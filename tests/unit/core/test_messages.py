"""The engine's messages with their catalog ids (lightbox.core.messages, issue 18 item 4).

The ids the engine can say are collected from its source (every ``"engine.…"`` string
literal of py/lightbox) and checked against the registry (messages.json); the page's side,
that every registry id is in every catalog, is tests/js/engine-messages.test.js.
"""

from __future__ import annotations

import json
import pickle
import re
from pathlib import Path

import pytest

from lightbox.core.errors import InvalidDicomError
from lightbox.core.messages import MESSAGES, Fixed, Message, said, say
from lightbox.ingest.headers import read_header

PACKAGE = Path(__file__).parents[3] / "py" / "lightbox"


def used_ids() -> dict[str, str]:
    """Every ``"engine.<id>"`` literal of the package's source → the file it is in."""
    found: dict[str, str] = {}
    for path in sorted(PACKAGE.rglob("*.py")):
        for key in re.findall(r"[\"'](engine\.[a-z_]+)[\"']", path.read_text(encoding="utf-8")):
            found.setdefault(key, str(path.relative_to(PACKAGE)))
    return found


def registered(key: str) -> bool:
    return key in MESSAGES or f"{key}.other" in MESSAGES


def test_every_id_in_the_source_is_registered_and_every_registered_id_is_used() -> None:
    used = used_ids()
    assert len(used) >= 40
    assert {k: f for k, f in used.items() if not registered(k)} == {}
    bases = {re.sub(r"\.(one|other)$", "", k) for k in MESSAGES}
    assert sorted(bases - set(used)) == []


def test_a_plural_has_both_forms_and_the_same_placeholders() -> None:
    for key in MESSAGES:
        if key.endswith(".one"):
            other = key.removesuffix(".one") + ".other"
            assert other in MESSAGES, key
            names = sorted(re.findall(r"\{(\w+)\}", MESSAGES[key]))
            assert names == sorted(re.findall(r"\{(\w+)\}", MESSAGES[other])), key
            assert "count" in names, key


def test_a_message_is_its_english_text_and_carries_its_id_and_values() -> None:
    message = say("engine.gantry_tilt", degrees=Fixed(18.0, 1))
    assert message == "gantry tilt of 18.0° corrected"
    assert isinstance(message, str) and message.key == "engine.gantry_tilt"
    assert said(message) == {
        "text": "gantry tilt of 18.0° corrected",
        "key": "engine.gantry_tilt",
        "params": {"degrees": {"number": 18.0, "digits": 1}},
    }
    assert said("plain words") == {"text": "plain words"}
    # A plural by its count; numbers as JavaScript writes them (12, not 12.0).
    assert say("engine.missing_slices", count=1, start=12.0, end=20.5) == (
        "1 slice seems to be missing between 12 and 20.5 mm"
    )
    two = say("engine.missing_slices", count=2, start=0.0, end=7.5)
    assert two == "2 slices seem to be missing between 0 and 7.5 mm"
    assert said(two)["count"] == 2
    assert pickle.loads(pickle.dumps(two)).key == "engine.missing_slices"
    with pytest.raises(KeyError):
        say("engine.no_such_message")


def test_a_message_inside_a_message_is_sent_to_be_translated_too() -> None:
    inner = say("engine.bytes", count=1)
    outer = say(
        "engine.truncated_declares", where="(7FE0,0010) Pixel Data", declared=inner, remaining=inner
    )
    assert (
        outer == "the file is truncated inside (7FE0,0010) Pixel Data: it declares 1 byte "
        "but only 1 byte remain"
    )
    sent = json.loads(json.dumps(said(outer)))
    assert sent["params"]["declared"] == {
        "said": {"text": "1 byte", "key": "engine.bytes", "params": {}, "count": 1}
    }


def test_an_error_of_the_reader_carries_its_message() -> None:
    with pytest.raises(InvalidDicomError) as caught:
        read_header("cut.dcm", b"\x00" * 128 + b"DICM" + b"\x02\x00\x10\x00UI\x20\x00" + b"1.2")
    reason = caught.value.reason
    assert isinstance(reason, Message), reason
    assert reason.key.startswith("engine.")
