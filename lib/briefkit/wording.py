"""The words every output shares: judgements, "not applicable", target signs, units of gaps.

The HTML tables (:mod:`briefkit.report`), the sentences (:mod:`briefkit.narrative`), the
charts (:mod:`briefkit.charts`) and the annex (:mod:`briefkit.annex`) all read them here, so a
wording changes in one place and the outputs never disagree ("—" in one, "Không áp dụng" in
another; "điểm %" in a table, "điểm phần trăm" in the sentence beside it).
"""

from __future__ import annotations

from typing import Any

from briefkit.formatting import is_missing
from briefkit.kpis import STATUS_MET, STATUS_NA, STATUS_NOT_MET, KpiDef

__all__ = [
    "NOT_APPLICABLE",
    "RATE_GAP_UNIT",
    "STATUS_WORDS",
    "gap_unit",
    "rule_sign",
    "status_key",
    "status_word",
]

#: A judgement where there is no target to judge against (or no figure to judge).
NOT_APPLICABLE = "Không áp dụng"
#: The judgement against a target, in every table, legend and sheet.
STATUS_WORDS: dict[str, str] = {STATUS_MET: "Đạt", STATUS_NOT_MET: "Chưa đạt",
                                STATUS_NA: NOT_APPLICABLE}
#: The unit of a difference of two rates, in tables and sentences alike.
RATE_GAP_UNIT = "điểm phần trăm"


def status_key(status: Any) -> str:
    """The status, with anything unknown or missing read as not applicable."""
    return status if isinstance(status, str) and status in STATUS_WORDS else STATUS_NA


def status_word(status: Any) -> str:
    """ "Đạt", "Chưa đạt" or "Không áp dụng"."""
    return STATUS_WORDS[status_key(status)]


def rule_sign(rule: Any) -> str:
    """How a target reads: a minimum (and a baseline-plus, a minimum once computed) "≥ ",
    a maximum "≤ ", anything else nothing."""
    if is_missing(rule):
        return ""
    if rule == "max":
        return "≤ "
    if rule in ("min", "baseline_plus"):
        return "≥ "
    return ""


def gap_unit(kpi: KpiDef) -> str:
    """The unit a difference of two values of ``kpi`` is counted in: percentage points for a
    rate, points for Decision-766 points, the KPI's noun for a count."""
    if kpi.kind == "rate":
        return RATE_GAP_UNIT
    if kpi.kind == "points":
        return "điểm"
    return kpi.noun
