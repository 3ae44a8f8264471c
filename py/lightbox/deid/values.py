"""Replacement values: new UIDs, pseudonyms, dummies, shifted dates, grouped ages, clean text.

Everything derived from an original value goes through HMAC-SHA256 keyed with a
random secret drawn per export, so the same original always maps to the same
replacement within one export, and nobody without the secret can map back or
confirm a guess.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import re
import uuid
from collections.abc import Iterable
from dataclasses import dataclass

#: Modified dates move into the past by this many days (inclusive range).
SHIFT_DAYS = (365, 3650)

#: HIPAA Safe Harbor (45 CFR 164.514(b)(2)(i)(C)): ages over 89 become one group.
AGE_LIMIT_YEARS = 89
AGE_GROUP = "090Y"

#: Dummy values per VR for the D action (PS3.15 E.1.1: "consistent with the VR").
DUMMY_TEXT = "ANONYMIZED"
_DUMMY: dict[str, object] = {
    "AE": "ANONYMIZED",
    "AS": "000Y",
    "CS": "ANONYMIZED",
    "DA": "19000101",
    "DT": "19000101000000",
    "TM": "000000",
    "DS": "0",
    "IS": "0",
    "LO": DUMMY_TEXT,
    "LT": DUMMY_TEXT,
    "PN": DUMMY_TEXT,
    "SH": DUMMY_TEXT,
    "ST": DUMMY_TEXT,
    "UC": DUMMY_TEXT,
    "UT": DUMMY_TEXT,
    "UR": "urn:x-lightbox:anonymized",
    "FL": 0.0,
    "FD": 0.0,
    "SL": 0,
    "SS": 0,
    "SV": 0,
    "UL": 0,
    "US": 0,
    "UV": 0,
}
_DUMMY_BYTES = b"\x00\x00"


@dataclass(frozen=True)
class Keys:
    """The per-export secret and everything derived from it.

    Parameters
    ----------
    secret : bytes
        At least 16 random bytes; never written into the export.
    """

    secret: bytes

    def __post_init__(self) -> None:
        if len(self.secret) < 16:
            raise ValueError("the de-identification secret must be at least 16 bytes")

    def digest(self, purpose: str, value: str) -> bytes:
        message = purpose.encode() + b"\x00" + value.encode("utf-8", "surrogateescape")
        return hmac.new(self.secret, message, hashlib.sha256).digest()

    def uid(self, original: str) -> str:
        """A new UID for an original one: ``2.25.`` and a UUID made from the HMAC.

        References
        ----------
        PS3.5 B.2 (UUID-derived UIDs under the 2.25 root); ISO/IEC 9834-8.
        """
        value = uuid.UUID(bytes=self.digest("uid", original.strip())[:16], version=4)
        return f"2.25.{value.int}"

    def pseudonym(self, patient: str) -> str:
        """A patient's new ID: ``ANON`` and 10 hex digits (fits SH and LO)."""
        return "ANON" + self.digest("patient", patient).hex()[:10].upper()

    def ae_title(self, original: str) -> str:
        """A consistent stand-in AE title (16 characters at most)."""
        return "AE" + self.digest("ae", original.strip()).hex()[:10].upper()

    def shift_days(self, patient: str) -> int:
        """The patient's date offset in days: negative, within :data:`SHIFT_DAYS`."""
        low, high = SHIFT_DAYS
        number = int.from_bytes(self.digest("shift", patient)[:8], "big")
        return -(low + number % (high - low + 1))


def dummy(vr: str) -> object:
    """A non-identifying value for a VR (bytes for the binary VRs)."""
    return _DUMMY.get(vr, _DUMMY_BYTES)


def shift_date(value: str, days: int) -> str:
    """Shift a DA value (``YYYY``, ``YYYYMM`` or ``YYYYMMDD``) by whole days.

    A partial date is completed with the first month or day, shifted, and cut
    back to its original precision. Invalid text is returned empty.
    """
    text = value.strip()
    if not re.fullmatch(r"\d{4}(\d{2}(\d{2})?)?", text):
        return ""
    full = (text + "0101")[:8] if len(text) < 8 else text
    try:
        moved = dt.datetime.strptime(full, "%Y%m%d").date() + dt.timedelta(days=days)
    except (ValueError, OverflowError):
        return ""
    return f"{moved.year:04d}{moved.month:02d}{moved.day:02d}"[: len(text)]


def shift_datetime(value: str, days: int) -> str:
    """Shift the date part of a DT value; time, fraction and offset are kept."""
    text = value.strip()
    match = re.fullmatch(r"(\d{4}(?:\d{2}(?:\d{2})?)?)(.*)", text)
    if not match:
        return ""
    date = shift_date(match[1], days)
    return date + match[2] if date else ""


def year_only(value: str, vr: str) -> str:
    """Reduce a DA to ``YYYY0101`` or a DT to ``YYYY``; empty if there is no year."""
    match = re.match(r"\s*(\d{4})", value)
    if not match:
        return ""
    return match[1] + "0101" if vr == "DA" else match[1]


def group_age(value: str) -> str:
    """An AS value, with ages over 89 years grouped as ``090Y`` (HIPAA Safe Harbor).

    References
    ----------
    PS3.5 6.2 (AS: ``nnnD``, ``nnnW``, ``nnnM``, ``nnnY``).
    """
    match = re.fullmatch(r"\s*(\d{1,3})\s*([DWMY])\s*", value.upper())
    if not match:
        return value
    number, unit = int(match[1]), match[2]
    days = {"D": 1.0, "W": 7.0, "M": 30.4375, "Y": 365.25}[unit] * number
    return AGE_GROUP if days >= (AGE_LIMIT_YEARS + 1) * 365.25 else value


#: Text that identifies whatever the file: dates, numbers, addresses of all kinds.
_PATTERNS = [
    r"\b\d{4}[-/.]\d{1,2}[-/.]\d{1,2}\b",  # 2024-03-05
    r"\b\d{1,2}[-/.]\d{1,2}[-/.]\d{2,4}\b",  # 05/03/2024
    r"\b(?:19|20)\d{2}(?:0[1-9]|1[0-2])(?:0[1-9]|[12]\d|3[01])\b",  # 20240305
    r"\b\d{1,2}\s+(?:jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec)[a-z]*\.?\s+\d{2,4}\b",
    r"\b(?:jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec)[a-z]*\.?\s+\d{1,2},?\s+\d{4}\b",
    r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+",  # e-mail
    r"\b(?:[a-z][a-z0-9+.-]*://|www\.)\S+",  # URL
    r"\b\d+(?:\.\d+){3,}\b",  # IPv4 address, dotted UID
    r"\+?\(?\d[\d ()-]{6,}\d",  # telephone number, long identifier
]
_SCRUB = re.compile("|".join(f"(?:{p})" for p in _PATTERNS), re.IGNORECASE)
#: Known values shorter than this are not searched for (initials, sex, "Dr").
MIN_TOKEN = 3
MASK = "*"


@dataclass(frozen=True)
class Cleaner:
    """Clean free text: mask the file's own identifying values and anything that looks like one.

    Parameters
    ----------
    known : tuple of str
        Values of the file's identifying attributes (names and their
        components, IDs, addresses...), longest first.
    """

    known: tuple[str, ...] = ()

    @classmethod
    def from_values(cls, values: Iterable[str]) -> Cleaner:
        tokens: set[str] = set()
        for value in values:
            for raw in re.split(r"[\^=\\]", value):
                part = raw.strip()
                if len(part) >= MIN_TOKEN:
                    tokens.add(part)
        return cls(tuple(sorted(tokens, key=lambda t: (-len(t), t))))

    def clean(self, text: str) -> str:
        """``text`` with identifying parts replaced by ``*``; never longer than ``text``."""
        out = text
        for token in self.known:
            out = re.sub(re.escape(token), MASK, out, flags=re.IGNORECASE)
        return _SCRUB.sub(MASK, out)
