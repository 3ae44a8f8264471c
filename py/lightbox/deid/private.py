"""Private attributes: removed, unless the Retain Safe Private Option keeps those known safe.

A private element is known safe when PS3.15 Table E.3.10-1 lists it (as far
as ``profile.json`` has it), or when the file itself declares it so in
(0008,0300) Private Data Element Characteristics Sequence (PS3.3 C.12.1.1.7):
a block whose (0008,0303) Block Identifying Information Status is SAFE, the
elements listed in (0008,0304) Nonidentifying Private Elements, and the
actions (0008,0307) given for (0008,0306) Identifying Private Elements.
A Private Creator is kept exactly when an element of its block is.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from pydicom.dataset import Dataset

from lightbox.deid.options import DeidOptions
from lightbox.deid.profile import Action, Decision, Pattern, Profile, decide


@dataclass(frozen=True)
class Declaration:
    """What a file says about one private block (PS3.3 C.12.1.1.7)."""

    status: str
    nonidentifying: frozenset[int] = frozenset()
    actions: dict[int, Action] = field(default_factory=dict)


def declarations(ds: Dataset) -> dict[tuple[int, str], Declaration]:
    """(group, creator) -> the block's declaration, from (0008,0300) of ``ds``."""
    out: dict[tuple[int, str], Declaration] = {}
    for item in ds.get("PrivateDataElementCharacteristicsSequence") or ():
        group = item.get("PrivateGroupReference")
        creator = item.get("PrivateCreatorReference")
        if group is None or creator is None:
            continue
        actions: dict[int, Action] = {}
        for entry in item.get("DeidentificationActionSequence") or ():
            code = str(entry.get("DeidentificationAction", "") or "").strip()
            if code in ("D", "Z", "X", "U"):
                for element in _numbers(entry.get("IdentifyingPrivateElements")):
                    actions[element & 0xFF] = Action(code)
        status = str(item.get("BlockIdentifyingInformationStatus", "") or "").strip().upper()
        safe = frozenset(e & 0xFF for e in _numbers(item.get("NonidentifyingPrivateElements")))
        out[(int(group), str(creator).strip())] = Declaration(status, safe, actions)
    return out


def _numbers(value: object) -> list[int]:
    if value is None or value == "":
        return []
    if isinstance(value, int):
        return [value]
    return [int(v) for v in value]  # type: ignore[attr-defined]


def private_decisions(ds: Dataset, options: DeidOptions, profile: Profile) -> dict[int, Decision]:
    """The decision for every private element of one dataset (not its items).

    Without the Retain Safe Private Option each is removed (Table E.1-1 row
    (gggg,eeee) where gggg is odd: X). With it, known-safe elements are kept
    and the rest removed: the option's C, done per element.
    """
    private = [int(e.tag) for e in ds if (int(e.tag) >> 16) & 1]
    if not private:
        return {}
    row = profile.patterns[Pattern.PRIVATE]
    basic = decide(row, DeidOptions())
    if not options.retain_safe_private:
        return dict.fromkeys(private, basic)
    creators = {
        (tag >> 16, tag & 0xFF): str(ds[tag].value or "").strip()
        for tag in private
        if 0x0010 <= tag & 0xFFFF <= 0x00FF
    }
    declared = declarations(ds)
    out: dict[int, Decision] = {}
    kept_blocks: set[tuple[int, int]] = set()
    for tag in private:
        group, element = tag >> 16, tag & 0xFFFF
        if element < 0x1000:
            continue
        block = (group, element >> 8)
        creator = creators.get(block)
        decision = _safe(creator, group, element & 0xFF, declared, profile, row.describe())
        out[tag] = decision or Decision(
            Action.REMOVE, f"{row.describe()}: not known to be safe (Retain Safe Private)"
        )
        if out[tag].action is not Action.REMOVE:
            kept_blocks.add(block)
    for tag in private:
        group, element = tag >> 16, tag & 0xFFFF
        if element < 0x1000:
            kept = 0x0010 <= element <= 0x00FF and (group, element) in kept_blocks
            out[tag] = (
                Decision(Action.KEEP, f"{row.describe()}: Private Creator of a kept block")
                if kept
                else Decision(Action.REMOVE, f"{row.describe()}: no kept element in its block")
            )
    return out


def _safe(
    creator: str | None,
    group: int,
    offset: int,
    declared: dict[tuple[int, str], Declaration],
    profile: Profile,
    row: str,
) -> Decision | None:
    if creator is None:
        return None
    if profile.is_safe_private(creator, group, offset):
        return Decision(Action.KEEP, f"{row}: listed in Table E.3.10-1 (Retain Safe Private)")
    declaration = declared.get((group, creator))
    if declaration is None:
        return None
    if offset in declaration.actions:
        action = declaration.actions[offset]
        return Decision(action, f"{row}: the file's (0008,0307) De-identification Action {action}")
    if declaration.status == "SAFE" or offset in declaration.nonidentifying:
        return Decision(Action.KEEP, f"{row}: declared safe by the file's (0008,0300)")
    return None
