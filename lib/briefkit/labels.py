"""Vietnamese labels shared by every output that names things from the data.

Unit kinds (``units.csv``'s ``kind``) are a free vocabulary of the data contract, so the group
headings of Biểu 06, in the Excel annex (:mod:`briefkit.annex`) as in the HTML briefing
(:mod:`briefkit.report`), come from one place: :data:`KIND_LABELS` for the kinds commonly
found in the data, and :func:`kind_label` for any kind, which never shows a raw code such as
``phuong_xa`` (a kind it does not know is made readable from its own text).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from types import MappingProxyType

from briefkit.formatting import is_missing

#: Group headings by unit kind. Callers add their own kinds with ``kind_labels=`` where a
#: function takes it (write_annex, bieu06_html): those override and extend this table.
KIND_LABELS: Mapping[str, str] = MappingProxyType({
    "ubnd": "Ủy ban nhân dân",
    "so_nganh": "Các sở, ban, ngành",
    "quan_huyen": "Các quận, huyện",
    "phong_ban": "Các phòng, ban chuyên môn",
    "phuong_xa": "UBND các phường, xã",
    # a province after the 2025 reform: communes, wards and special zones (level xa)
    "xa": "UBND các xã",
    "phuong": "UBND các phường",
    "dac_khu": "UBND đặc khu",
})

#: The heading of units whose kind is empty.
NO_KIND_LABEL = "Các đơn vị khác"

# What pandas / str() leave in a text column where the value was missing.
_MISSING_TEXTS = frozenset({"", "nan", "NaN", "<NA>", "None", "NaT"})


def kind_label(kind: object, overrides: Mapping[str, str] | None = None) -> str:
    """The heading of a group of units of ``kind``.

    ``overrides`` first, then :data:`KIND_LABELS`; an empty or missing kind reads
    :data:`NO_KIND_LABEL`; any other kind is made readable from its text: underscores become
    spaces and the first letter a capital ("van_phong" → "Van phong", "Khối Đảng" stays).
    """
    if is_missing(kind) or str(kind).strip() in _MISSING_TEXTS:
        return NO_KIND_LABEL
    text = str(kind).strip()
    if overrides and text in overrides:
        return overrides[text]
    if text in KIND_LABELS:
        return KIND_LABELS[text]
    readable = re.sub(r"\s+", " ", text.replace("_", " ")).strip()
    if not readable:
        return NO_KIND_LABEL
    return readable[:1].upper() + readable[1:]


__all__ = ["KIND_LABELS", "NO_KIND_LABEL", "kind_label"]
