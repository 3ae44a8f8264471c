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


def element_tree(ds: Dataset, depth: int = 0) -> list[dict[str, Any]]:
    """Every element of ``ds`` as {tag, keyword, name, vr, value, items?, creator?}."""
    out = []
    for element in ds:
        node: dict[str, Any] = {
            "tag": f"({element.tag.group:04X},{element.tag.element:04X})",
            "keyword": element.keyword,
            "name": element.name,
            "vr": element.VR,
        }
        if element.tag.is_private and not element.tag.is_private_creator:
            node["creator"] = _private_creator(ds, element)
        if element.VR == "SQ":
            node["items"] = [element_tree(item, depth + 1) for item in element.value]
            node["value"] = f"{len(element.value)} item(s)"
        else:
            node["value"] = _value_text(element)
        out.append(node)
    return out


def _private_creator(ds: Dataset, element: DataElement) -> str:
    block = element.tag.element >> 8
    creator = ds.get((element.tag.group << 16) | block)
    return str(creator.value) if creator is not None else ""


def header_json(ds: Dataset) -> dict[str, Any]:
    """The whole header: file meta and dataset."""
    meta = ds.get("file_meta") if hasattr(ds, "file_meta") else None
    return {
        "meta": element_tree(meta) if meta is not None else [],
        "dataset": element_tree(ds),
    }
