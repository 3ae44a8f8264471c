"""The tag browser's view of a header: every element, sequences nested, JSON-ready."""

from __future__ import annotations

from typing import Any

from pydicom.dataelem import DataElement
from pydicom.dataset import Dataset

#: Values longer than this are cut in the browser's view (the file is not changed).
MAX_VALUE_CHARS = 256
_BINARY_VRS = {"OB", "OW", "OF", "OD", "OL", "OV", "UN"}


def _value_text(element: DataElement) -> str:
    if element.VR in _BINARY_VRS:
        length = len(element.value) if element.value is not None else 0
        return f"<{length} bytes>"
    value = element.value
    if value is None:
        return ""
    text = (
        "\\".join(str(v) for v in value)
        if isinstance(value, (list, tuple))
        or (hasattr(value, "__iter__") and not isinstance(value, (str, bytes)) and element.VM > 1)
        else str(value)
    )
    return text if len(text) <= MAX_VALUE_CHARS else text[:MAX_VALUE_CHARS] + "…"


def element_tree(
    ds: Dataset, hidden: frozenset[str] = frozenset(), parent: str = ""
) -> list[dict[str, Any]]:
    """Every element of ``ds`` as {tag, keyword, name, vr, value, items?, creator?, hidden?}.

    Parameters
    ----------
    hidden : frozenset of str
        Paths (``(0040,0275)>(0032,1060)``, tags from the top level down) whose
        values must not be shown: such a node has ``hidden: True``, an empty
        value and no items, so the value never leaves this function.
    parent : str
        The path of ``ds`` itself ("" at the top level).
    """
    out = []
    for element in ds:
        tag = f"({element.tag.group:04X},{element.tag.element:04X})"
        path = f"{parent}>{tag}" if parent else tag
        node: dict[str, Any] = {
            "tag": tag,
            "keyword": element.keyword,
            "name": element.name,
            "vr": element.VR,
        }
        if element.tag.is_private and not element.tag.is_private_creator and path not in hidden:
            node["creator"] = _private_creator(ds, element)
        if path in hidden:
            node.update(value="", hidden=True)
        elif element.VR == "SQ":
            node["items"] = [element_tree(item, hidden, path) for item in element.value]
            node["value"] = f"{len(element.value)} item(s)"
        else:
            try:
                node["value"] = _value_text(element)
            except Exception as exc:  # a value pydicom cannot convert
                node["value"] = f"<unreadable: {exc}>"[:MAX_VALUE_CHARS]
        out.append(node)
    return out


def _private_creator(ds: Dataset, element: DataElement) -> str:
    block = element.tag.element >> 8
    creator = ds.get((element.tag.group << 16) | block)
    return str(creator.value) if creator is not None else ""


def header_json(ds: Dataset, hidden: frozenset[str] = frozenset()) -> dict[str, Any]:
    """The whole header: file meta and dataset, the values at ``hidden`` paths withheld."""
    meta = ds.get("file_meta") if hasattr(ds, "file_meta") else None
    return {
        "meta": element_tree(meta, hidden) if meta is not None else [],
        "dataset": element_tree(ds, hidden),
        "hidden": bool(hidden),
    }
