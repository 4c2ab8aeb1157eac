"""The KPI library: every KPI is defined once here and computed from validated frames.

How it works, in one direction only:

1. :func:`unit_counts` turns the dossiers (and the aggregate-only units' Biểu 06 rows, and
   the documents) into one row of *base counts* per unit for a period. Vectorised: every
   count is a boolean mask summed per unit.
2. Each :class:`KpiDef` names its numerator and denominator among those base counts, so a
   KPI row is ``numerator``, ``denominator`` and a value derived by one function
   (:func:`_value`). Tables, charts, narrative and the annex all read :data:`KPIS`.
3. Roll-ups (``*`` and ``*huyen`` …) add up the units' numerators and denominators, over the
   members that report both, then derive the value the same way; the procedure-coverage KPIs
   count distinct procedures instead (a procedure offered by five wards is one procedure).
4. Targets, status, same-period-last-year change and ranks are joined on last.

Adding a KPI: add its base count to :func:`_dossier_indicators` if it needs a new one, add one
:class:`KpiDef` to :data:`KPIS`, and one test.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING, Literal

import numpy as np
import pandas as pd
import yaml

from briefkit.periods import Period, parse_period

if TYPE_CHECKING:
    from briefkit.data import Dataset
    from briefkit.targets import Targets

Kind = Literal["count", "rate", "points"]
Direction = Literal["higher", "lower"]

ROLLUP_ALL = "*"
ROLLUP_KIND = "tong_hop"
ROLLUP_NAMES = {
    "*": "Toàn bộ các đơn vị",
    "*tinh": "Các đơn vị cấp tỉnh",
    "*huyen": "Các đơn vị cấp huyện",
    "*xa": "Các đơn vị cấp xã",
}

STATUS_MET = "dat"
STATUS_NOT_MET = "chua_dat"
STATUS_NA = "khong_ap_dung"

KPI_CSV_COLUMNS = [
    "unit_id", "unit_name", "period", "kpi", "numerator", "denominator", "value", "target",
    "status",
]


@dataclass(frozen=True)
class KpiDef:
    """One KPI, as every table, chart, sentence and annex column reads it.

    ``numerator`` and ``denominator`` name base counts (see :data:`BASE_COUNTS`).
    ``label`` is the short heading of a table column; ``phrase`` is the subject of a sentence
    ("tỷ lệ hồ sơ … đạt 80,18%"). ``direction`` says which way is better, for ranking and
    for the colour of a chart; ``None`` for counts that are neither good nor bad.
    ``rollup`` says how roll-ups combine units: add the numbers up, or count distinct
    procedures across the units' catalogues.
    """

    id: str
    label: str
    phrase: str
    kind: Kind
    numerator: str
    denominator: str | None = None
    direction: Direction | None = None
    group: str = ""
    rollup: Literal["sum", "distinct_procedures"] = "sum"
    noun: str = "hồ sơ"
    advice: str = ""  # what a directive asks of a unit that misses the target

    @property
    def is_rate(self) -> bool:
        return self.kind == "rate"


def _count(id_: str, label: str, phrase: str, group: str, *, direction: Direction | None = None,
           noun: str = "hồ sơ", numerator: str | None = None,
           rollup: Literal["sum", "distinct_procedures"] = "sum") -> KpiDef:
    return KpiDef(id_, label, phrase, "count", numerator or id_, None, direction, group,
                  rollup, noun)


def _rate(id_: str, label: str, phrase: str, group: str, numerator: str, denominator: str,
          *, direction: Direction = "higher",
          rollup: Literal["sum", "distinct_procedures"] = "sum", noun: str = "hồ sơ") -> KpiDef:
    return KpiDef(id_, label, phrase, "rate", numerator, denominator, direction, group, rollup,
                  noun)


_KPI_LIST: list[KpiDef] = [
    # Biểu 06/VPCP/KSTT, columns (3) to (13), and the postal / apology counts.
    _count("received_total", "Tổng số hồ sơ tiếp nhận",
           "tổng số hồ sơ nhận giải quyết (kể cả từ kỳ trước chuyển sang)", "bieu06"),
    _count("received_online", "Tiếp nhận trực tuyến", "số hồ sơ tiếp nhận trực tuyến", "bieu06"),
    _count("received_direct", "Tiếp nhận trực tiếp", "số hồ sơ tiếp nhận trực tiếp", "bieu06"),
    _count("received_postal", "Tiếp nhận qua BCCI",
           "số hồ sơ tiếp nhận qua dịch vụ bưu chính công ích", "bieu06"),
    _count("carried_over", "Từ kỳ trước chuyển sang", "số hồ sơ từ kỳ trước chuyển sang",
           "bieu06"),
    _count("resolved_total", "Đã giải quyết", "số hồ sơ đã giải quyết", "bieu06"),
    _count("resolved_early", "Giải quyết trước hạn", "số hồ sơ giải quyết trước hạn", "bieu06"),
    _count("resolved_on_time", "Giải quyết đúng hạn", "số hồ sơ giải quyết đúng hạn", "bieu06"),
    _count("resolved_late", "Giải quyết quá hạn", "số hồ sơ giải quyết quá hạn", "bieu06",
           direction="lower"),
    _count("pending_total", "Đang giải quyết", "số hồ sơ đang giải quyết", "bieu06"),
    _count("pending_in_time", "Đang giải quyết trong hạn",
           "số hồ sơ đang giải quyết trong hạn", "bieu06"),
    _count("pending_overdue", "Đang giải quyết quá hạn", "số hồ sơ đang giải quyết quá hạn",
           "bieu06", direction="lower"),
    _count("returned_by_post", "Trả kết quả qua BCCI",
           "số hồ sơ trả kết quả qua dịch vụ bưu chính công ích", "postal"),
    _count("apology_sent", "Hồ sơ quá hạn đã có thư xin lỗi",
           "số hồ sơ giải quyết quá hạn đã có văn bản xin lỗi", "timeliness"),
    # Rates.
    _rate("online_rate", "Tỷ lệ xử lý trực tuyến",
          "tỷ lệ hồ sơ được xử lý trực tuyến trên tổng số hồ sơ được giải quyết", "online",
          "resolved_online", "resolved_total"),
    _rate("on_time_rate", "Tỷ lệ giải quyết đúng và trước hạn",
          "tỷ lệ hồ sơ giải quyết đúng hạn và trước hạn", "timeliness",
          "resolved_in_time", "resolved_total"),
    _rate("late_apology_rate", "Tỷ lệ hồ sơ quá hạn có thư xin lỗi",
          "tỷ lệ hồ sơ giải quyết quá hạn đã có văn bản xin lỗi", "timeliness",
          "apology_sent", "resolved_late"),
    _rate("l3_online_share", "Tỷ lệ hồ sơ trực tuyến (DVC một phần)",
          "tỷ lệ hồ sơ trực tuyến của các thủ tục cung cấp dịch vụ công trực tuyến một phần "
          "(mức độ 3)", "online", "online_received_l3", "received_l3"),
    _rate("l4_online_share", "Tỷ lệ hồ sơ trực tuyến (DVC toàn trình)",
          "tỷ lệ hồ sơ trực tuyến của các thủ tục cung cấp dịch vụ công trực tuyến toàn trình "
          "(mức độ 4)", "online", "online_received_l4", "received_l4"),
    _rate("l3_procedures_with_online", "TTHC một phần có phát sinh hồ sơ trực tuyến",
          "tỷ lệ thủ tục hành chính cung cấp dịch vụ công trực tuyến một phần (mức độ 3) có "
          "phát sinh hồ sơ trực tuyến", "online", "procedures_l3_with_online", "procedures_l3",
          rollup="distinct_procedures", noun="thủ tục"),
    _rate("l4_procedures_with_online", "TTHC toàn trình có phát sinh hồ sơ trực tuyến",
          "tỷ lệ thủ tục hành chính cung cấp dịch vụ công trực tuyến toàn trình (mức độ 4) có "
          "phát sinh hồ sơ trực tuyến", "online", "procedures_l4_with_online", "procedures_l4",
          rollup="distinct_procedures", noun="thủ tục"),
    _rate("inter_agency_l3_online_share", "Hồ sơ liên thông trực tuyến (một phần)",
          "tỷ lệ hồ sơ liên thông giữa các cơ quan nhà nước được xử lý trực tuyến đối với thủ "
          "tục một phần (mức độ 3)", "online", "ia_online_received_l3", "ia_received_l3"),
    _rate("inter_agency_l4_online_share", "Hồ sơ liên thông trực tuyến (toàn trình)",
          "tỷ lệ hồ sơ liên thông giữa các cơ quan nhà nước được xử lý trực tuyến đối với thủ "
          "tục toàn trình (mức độ 4)", "online", "ia_online_received_l4", "ia_received_l4"),
    _rate("documents_signed_rate", "Tỷ lệ văn bản điện tử có ký số",
          "tỷ lệ văn bản điện tử gửi đi được ký số", "documents", "documents_signed",
          "documents_electronic", noun="văn bản"),
    # Other counts.
    _count("online_received_l3", "Hồ sơ trực tuyến mức độ 3 (một phần)",
           "số hồ sơ trực tuyến tiếp nhận đối với thủ tục một phần (mức độ 3)", "online"),
    _count("online_received_l4", "Hồ sơ trực tuyến mức độ 4 (toàn trình)",
           "số hồ sơ trực tuyến tiếp nhận đối với thủ tục toàn trình (mức độ 4)", "online"),
    _count("procedures_online", "Số TTHC cung cấp DVC trực tuyến",
           "số thủ tục hành chính cung cấp dịch vụ công trực tuyến (mức độ 3, 4)", "online",
           noun="thủ tục", rollup="distinct_procedures"),
    _count("documents_electronic", "Văn bản điện tử gửi đi",
           "số văn bản điện tử gửi đi giữa các cơ quan", "documents", noun="văn bản"),
    # Decision 766/QĐ-TTg points that dossier data supports; weights in params/index766.yaml.
    KpiDef("index766_progress", "Điểm tiến độ giải quyết (QĐ 766)",
           "điểm chỉ số tiến độ giải quyết theo Quyết định 766/QĐ-TTg", "points",
           "handled_in_time_766", "received_total", "higher", "index766"),
    KpiDef("index766_online", "Điểm tỷ lệ hồ sơ trực tuyến (QĐ 766)",
           "điểm chỉ số tỷ lệ hồ sơ trực tuyến theo Quyết định 766/QĐ-TTg", "points",
           "received_online", "received_new", "higher", "index766"),
]

# What a directive asks of a unit below target, by KPI (the recommendations of a briefing).
_ADVICE = {
    "online_rate": "Đẩy mạnh tuyên truyền, hướng dẫn tổ chức, cá nhân nộp hồ sơ trực tuyến; bố "
                   "trí công chức hỗ trợ trực tiếp tại bộ phận một cửa để nâng tỷ lệ hồ sơ được "
                   "xử lý trực tuyến.",
    "on_time_rate": "Rà soát quy trình nội bộ, tập trung giải quyết hồ sơ đúng hạn; không để "
                    "phát sinh hồ sơ trễ hạn.",
    "late_apology_rate": "Thực hiện nghiêm việc gửi văn bản xin lỗi đối với mọi hồ sơ giải "
                         "quyết quá hạn, hẹn lại thời gian trả kết quả.",
    "pending_overdue": "Khẩn trương giải quyết dứt điểm các hồ sơ đang quá hạn, báo cáo "
                       "nguyên nhân và gửi văn bản xin lỗi người dân.",
    "l3_online_share": "Hướng dẫn người dân sử dụng dịch vụ công trực tuyến một phần đối với "
                       "các thủ tục đã được cung cấp.",
    "l4_online_share": "Tăng cường tiếp nhận hồ sơ trực tuyến toàn trình, hạn chế tiếp nhận "
                       "trực tiếp đối với các thủ tục đã cung cấp toàn trình.",
    "l3_procedures_with_online": "Rà soát các thủ tục một phần chưa phát sinh hồ sơ trực tuyến, "
                                 "có giải pháp phát sinh hồ sơ.",
    "l4_procedures_with_online": "Rà soát các thủ tục toàn trình chưa phát sinh hồ sơ trực "
                                 "tuyến, có giải pháp phát sinh hồ sơ.",
    "inter_agency_l3_online_share": "Thực hiện liên thông điện tử toàn bộ hồ sơ giữa các cơ "
                                    "quan nhà nước.",
    "inter_agency_l4_online_share": "Thực hiện liên thông điện tử hồ sơ giữa các cơ quan nhà "
                                    "nước đối với thủ tục toàn trình.",
    "documents_signed_rate": "Thực hiện ký số đối với toàn bộ văn bản điện tử gửi đi.",
}
_KPI_LIST = [replace(k, advice=_ADVICE.get(k.id, "")) for k in _KPI_LIST]

KPIS: dict[str, KpiDef] = {k.id: k for k in _KPI_LIST}

# Biểu số 06/VPCP/KSTT: (column number, header group, header, base count).
BIEU06_COLUMNS: list[tuple[int, str, str, str]] = [
    (3, "Số hồ sơ nhận giải quyết", "Tổng số", "received_total"),
    (4, "Số hồ sơ nhận giải quyết", "Trực tuyến", "received_online"),
    (5, "Số hồ sơ nhận giải quyết", "Trực tiếp, dịch vụ bưu chính", "received_direct_or_postal"),
    (6, "Số hồ sơ nhận giải quyết", "Từ kỳ trước", "carried_over"),
    (7, "Số hồ sơ đã giải quyết", "Tổng số", "resolved_total"),
    (8, "Số hồ sơ đã giải quyết", "Trước hạn", "resolved_early"),
    (9, "Số hồ sơ đã giải quyết", "Đúng hạn", "resolved_on_time"),
    (10, "Số hồ sơ đã giải quyết", "Quá hạn", "resolved_late"),
    (11, "Số hồ sơ đang giải quyết", "Tổng số", "pending_total"),
    (12, "Số hồ sơ đang giải quyết", "Trong hạn", "pending_in_time"),
    (13, "Số hồ sơ đang giải quyết", "Quá hạn", "pending_overdue"),
]

# Base counts a unit row carries. Those marked as coming from aggregates can be supplied by
# Biểu 06 rows for aggregate-only units; the others are unknown (NaN) for those units.
_DOSSIER_COUNTS = [
    "received_online", "received_direct", "received_postal", "carried_over",
    "resolved_total", "resolved_early", "resolved_on_time", "resolved_late", "resolved_online",
    "pending_total", "pending_in_time", "pending_overdue", "returned_by_post", "apology_sent",
    "received_l3", "online_received_l3", "received_l4", "online_received_l4",
    "ia_received_l3", "ia_online_received_l3", "ia_received_l4", "ia_online_received_l4",
]
_CATALOGUE_COUNTS = [
    "procedures_l3", "procedures_l3_with_online", "procedures_l4", "procedures_l4_with_online",
    "procedures_online",
]
_DOCUMENT_COUNTS = ["documents_electronic", "documents_signed"]
BASE_COUNTS = [
    *_DOSSIER_COUNTS, "received_direct_or_postal", "received_new", "received_total",
    "resolved_in_time", "handled_in_time_766", *_CATALOGUE_COUNTS, *_DOCUMENT_COUNTS,
]

DEFAULT_INDEX766_FILE = Path(__file__).resolve().parents[2] / "params" / "index766.yaml"


@dataclass(frozen=True)
class ScoreRule:
    """Points for a Decision-766 sub-indicator: ``points × min(1, ratio / full_at)``."""

    points: float
    full_at: float = 1.0


def load_index766_weights(path: str | Path | None = None) -> dict[str, ScoreRule]:
    """Read the Decision-766 weights (not fully confirmed by the sources, hence a file)."""
    source = Path(path) if path else DEFAULT_INDEX766_FILE
    try:
        raw = yaml.safe_load(source.read_text(encoding="utf-8")) or {}
    except FileNotFoundError as exc:
        raise FileNotFoundError(f"{source}: Decision-766 weights file not found") from exc
    rules: dict[str, ScoreRule] = {}
    for kpi in (k.id for k in _KPI_LIST if k.kind == "points"):
        spec = raw.get(kpi)
        if not isinstance(spec, Mapping) or "points" not in spec:
            raise ValueError(f"{source}: '{kpi}' needs a mapping with 'points' (and 'full_at')")
        rules[kpi] = ScoreRule(float(spec["points"]), float(spec.get("full_at", 1.0)))
    return rules


# ---------------------------------------------------------------------------------------------
# Base counts per unit


def _dossier_indicators(dossiers: pd.DataFrame, online_level: pd.Series,
                        period: Period) -> pd.DataFrame:
    """One 0/1 column per dossier base count, for the given period (vectorised)."""
    start, end = period.start, period.end
    received = dossiers["received_at"]
    resolved = dossiers["resolved_at"]
    due = dossiers["due_at"]
    channel = dossiers["channel"].to_numpy()
    online = channel == "truc_tuyen"

    received_in = ((received >= start) & (received <= end)).to_numpy()
    resolved_in = ((resolved >= start) & (resolved <= end)).to_numpy()  # NaT compares False
    open_at_start = (resolved.isna() | (resolved >= start)).to_numpy()
    carried = (received < start).to_numpy() & open_at_start
    pending = (received <= end).to_numpy() & (resolved.isna() | (resolved > end)).to_numpy()
    early = resolved_in & (resolved < due).to_numpy()
    on_time = resolved_in & (resolved == due).to_numpy()
    late = resolved_in & (resolved > due).to_numpy()
    level = online_level.to_numpy()
    l3, l4 = level == 3, level == 4
    inter_agency = dossiers["inter_agency"].to_numpy(dtype=bool)

    return pd.DataFrame({
        "unit_id": dossiers["unit_id"].to_numpy(),
        "received_online": received_in & online,
        "received_direct": received_in & (channel == "truc_tiep"),
        "received_postal": received_in & (channel == "buu_chinh"),
        "carried_over": carried,
        "resolved_total": resolved_in,
        "resolved_early": early,
        "resolved_on_time": on_time,
        "resolved_late": late,
        "resolved_online": resolved_in & online,
        "pending_total": pending,
        "pending_in_time": pending & (due >= end).to_numpy(),
        "pending_overdue": pending & (due < end).to_numpy(),
        "returned_by_post": resolved_in & dossiers["returned_by_post"].to_numpy(dtype=bool),
        "apology_sent": late & dossiers["apology_sent"].to_numpy(dtype=bool),
        "received_l3": received_in & l3,
        "online_received_l3": received_in & l3 & online,
        "received_l4": received_in & l4,
        "online_received_l4": received_in & l4 & online,
        "ia_received_l3": received_in & l3 & inter_agency,
        "ia_online_received_l3": received_in & l3 & inter_agency & online,
        "ia_received_l4": received_in & l4 & inter_agency,
        "ia_online_received_l4": received_in & l4 & inter_agency & online,
    })


def _online_levels(ds: Dataset, dossiers: pd.DataFrame) -> pd.Series:
    """Each dossier's procedure online level (2, 3, 4), aligned with ``dossiers``."""
    levels = ds.procedures.set_index("procedure_id")["online_level"]
    return dossiers["procedure_id"].map(levels).astype("float")


def unit_catalogue(units: pd.DataFrame, procedures: pd.DataFrame) -> pd.DataFrame:
    """The (unit_id, procedure_id, online_level) pairs a unit offers: procedures of its level,
    narrowed to its ``fields`` (lĩnh vực, ``;``-separated) where it has any."""
    fields = units[["unit_id", "level"]].copy()
    raw_fields = units["fields"] if "fields" in units else pd.Series(pd.NA, index=units.index)
    fields["field_key"] = raw_fields.astype("object").where(raw_fields.notna(), None)
    fields["field_key"] = fields["field_key"].map(
        lambda v: [_field_key(f) for f in str(v).split(";") if f.strip()] if v else [None])
    fields = fields.explode("field_key")
    procs = procedures[["procedure_id", "level", "online_level"]].copy()
    procs["proc_field_key"] = procedures["field"].map(_field_key)
    pairs = fields.merge(procs, on="level", how="inner")
    keep = pairs["field_key"].isna() | (pairs["field_key"] == pairs["proc_field_key"])
    pairs = pairs.loc[keep, ["unit_id", "procedure_id", "online_level"]]
    return pairs.drop_duplicates(["unit_id", "procedure_id"]).reset_index(drop=True)


def _unit_ids(frame: pd.DataFrame) -> set[str]:
    """The distinct unit ids of a frame (unique first: 100k rows, a few dozen units)."""
    return {str(u) for u in frame["unit_id"].unique()}


def container_units(ds: Dataset) -> set[str]:
    """Units that only group others: someone's parent, with no dossier and no aggregate row of
    their own (a district People's Committee above its departments). They resolve nothing, so
    they offer no catalogue to judge; their counts are zeros, their rates not applicable."""
    parents = set(ds.units["parent_id"].dropna().astype(str)) if "parent_id" in ds.units \
        else set()
    active = _unit_ids(ds.dossiers) | _unit_ids(ds.aggregates)
    return parents - active


def _catalogue(ds: Dataset) -> pd.DataFrame:
    units = ds.units[~ds.units["unit_id"].astype(str).isin(container_units(ds))]
    return unit_catalogue(units, ds.procedures)


def _field_key(name: object) -> str | None:
    if name is None or (isinstance(name, float) and np.isnan(name)) or name is pd.NA:
        return None
    return " ".join(str(name).casefold().split())


def _coverage_counts(catalogue: pd.DataFrame, online_pairs: pd.DataFrame,
                     group_of_unit: pd.Series) -> pd.DataFrame:
    """Procedure-coverage counts per group, counting each procedure once within a group."""
    pairs = catalogue.assign(group=catalogue["unit_id"].map(group_of_unit)).dropna(
        subset=["group"])
    pairs = pairs.merge(online_pairs.assign(has_online=True), on=["unit_id", "procedure_id"],
                        how="left")
    pairs["has_online"] = pairs["has_online"].fillna(False).astype(bool)
    distinct = (pairs.groupby(["group", "procedure_id"], sort=False)
                .agg(online_level=("online_level", "first"), has_online=("has_online", "any"))
                .reset_index())
    lv = distinct["online_level"].to_numpy()
    indicators = pd.DataFrame({
        "group": distinct["group"].to_numpy(),
        "procedures_l3": lv == 3,
        "procedures_l3_with_online": (lv == 3) & distinct["has_online"].to_numpy(),
        "procedures_l4": lv == 4,
        "procedures_l4_with_online": (lv == 4) & distinct["has_online"].to_numpy(),
        "procedures_online": lv >= 3,
    })
    return indicators.groupby("group", sort=False).sum()


def _aggregate_counts(ds: Dataset, period: Period, units: Iterable[str]) -> pd.DataFrame:
    """Base counts of aggregate-only units, from Biểu 06 rows that exactly tile the period.

    A period made of several reported periods (a half-year from two quarters) adds up the
    flows, takes the carried-over count of the first and the pending counts of the last.
    A unit whose rows do not cover the period exactly gets no row (unknown, not zero).
    """
    agg = ds.aggregates
    rows = []
    wanted = set(units)
    if agg.empty or not wanted:
        return pd.DataFrame(columns=_DOSSIER_COUNTS)
    parsed = [parse_period(str(p), period.convention) for p in agg["period"]]
    agg = agg.assign(_start=[p.start for p in parsed], _end=[p.end for p in parsed])
    inside = agg[agg["unit_id"].isin(wanted) & (agg["_start"] >= period.start)
                 & (agg["_end"] <= period.end)]
    for unit_id, part in inside.sort_values("_start").groupby("unit_id", sort=True):
        starts, ends = part["_start"].tolist(), part["_end"].tolist()
        contiguous = all(s == e + pd.Timedelta(days=1) for s, e in zip(starts[1:], ends[:-1],
                                                                          strict=True))
        if not (starts[0] == period.start and ends[-1] == period.end and contiguous):
            continue
        first, last = part.iloc[0], part.iloc[-1]

        def total(column: str, part: pd.DataFrame = part) -> float:
            values = part[column] if column in part else pd.Series([pd.NA])
            return float("nan") if values.isna().any() else float(values.sum())

        direct_or_postal = total("received_direct_or_postal")
        postal = total("received_postal")
        rows.append({
            "unit_id": unit_id,
            "received_online": total("received_online"),
            "received_postal": postal,
            "received_direct": direct_or_postal - postal,
            "received_direct_or_postal": direct_or_postal,
            "carried_over": float(first["carried_over"]),
            "resolved_early": total("resolved_early"),
            "resolved_on_time": total("resolved_on_time"),
            "resolved_late": total("resolved_late"),
            "resolved_online": total("resolved_online"),
            "pending_in_time": float(last["pending_in_time"]),
            "pending_overdue": float(last["pending_overdue"]),
            "returned_by_post": total("returned_by_post"),
            "apology_sent": total("apology_sent"),
        })
    frame = pd.DataFrame(rows).set_index("unit_id") if rows else pd.DataFrame(
        columns=_DOSSIER_COUNTS)
    if rows:
        frame["resolved_total"] = (frame["resolved_early"] + frame["resolved_on_time"]
                                   + frame["resolved_late"])
        frame["pending_total"] = frame["pending_in_time"] + frame["pending_overdue"]
    return frame


def unit_counts(ds: Dataset, period: Period, *, catalogue: pd.DataFrame | None = None,
                online_pairs: pd.DataFrame | None = None) -> pd.DataFrame:
    """Base counts (:data:`BASE_COUNTS`) per unit for a period, indexed by unit_id in the
    order of units.csv. Counts are floats so that unknown can be NaN (an aggregate-only
    unit that did not report the period, or a count its form does not carry).
    ``catalogue`` and ``online_pairs`` save recomputing what the caller already has."""
    unit_ids = ds.units["unit_id"].astype(str)
    dossiers = ds.dossiers
    indicators = _dossier_indicators(dossiers, _online_levels(ds, dossiers), period)
    counts = (indicators.groupby("unit_id", sort=False).sum()
              .reindex(unit_ids, fill_value=0).astype(float))

    counts["received_direct_or_postal"] = counts["received_direct"] + counts["received_postal"]

    # Biểu 06 rows stand in for dossiers, unit by unit and period by period: where a unit has
    # no dossier in play during the period (none received, none carried over) and its rows
    # tile the period, the rows are its figures — a ward that reported counts before it moved
    # onto the system keeps its history. Where both exist, dossier data wins (the loader
    # warns). A unit known only from rows that do not cover the period is unknown, not zero.
    in_play = counts[["received_online", "received_direct", "received_postal",
                      "carried_over"]].sum(axis=1)
    reporting = _unit_ids(ds.aggregates)
    candidates = [u for u in unit_ids if u in reporting and in_play[u] == 0]
    from_aggregates: list[str] = []
    if candidates:
        from_agg = _aggregate_counts(ds, period, candidates)
        from_aggregates = list(from_agg.index)
        with_dossiers = _unit_ids(dossiers)
        unknown = [u for u in candidates if u not in with_dossiers and u not in from_agg.index]
        counts.loc[unknown + from_aggregates, :] = np.nan
        if from_aggregates:
            counts.loc[from_agg.index, from_agg.columns] = from_agg.astype(float)
        from_aggregates += unknown
    counts["received_new"] = counts["received_online"] + counts["received_direct_or_postal"]
    counts["received_total"] = counts["received_new"] + counts["carried_over"]
    counts["resolved_in_time"] = counts["resolved_early"] + counts["resolved_on_time"]
    counts["handled_in_time_766"] = counts["resolved_in_time"] + counts["pending_in_time"]

    catalogue = _catalogue(ds) if catalogue is None else catalogue
    online_pairs = _online_pairs(dossiers, period) if online_pairs is None else online_pairs
    coverage = _coverage_counts(catalogue, online_pairs, pd.Series(unit_ids.values,
                                                                    index=unit_ids.values))
    coverage = coverage.reindex(unit_ids, fill_value=0).astype(float)
    if from_aggregates:  # their online dossiers are unknown, so is their coverage
        coverage.loc[from_aggregates, ["procedures_l3_with_online",
                                       "procedures_l4_with_online"]] = np.nan
    counts = counts.join(coverage)

    documents = ds.documents
    sent_in = period.contains(documents["sent_at"]).to_numpy()
    electronic = documents["electronic"].to_numpy(dtype=bool) & sent_in
    doc_counts = pd.DataFrame({
        "unit_id": documents["unit_id"].to_numpy(),
        "documents_electronic": electronic,
        "documents_signed": electronic & documents["digitally_signed"].to_numpy(dtype=bool),
    }).groupby("unit_id", sort=False).sum().reindex(unit_ids, fill_value=0).astype(float)
    counts = counts.join(doc_counts)
    counts.index.name = "unit_id"
    return counts[BASE_COUNTS]


def _online_pairs(dossiers: pd.DataFrame, period: Period) -> pd.DataFrame:
    online_in = (dossiers["channel"] == "truc_tuyen") & period.contains(dossiers["received_at"])
    return dossiers.loc[online_in, ["unit_id", "procedure_id"]].drop_duplicates()


# ---------------------------------------------------------------------------------------------
# KPI rows


def _value(kpi: KpiDef, num: pd.Series, den: pd.Series,
           weights: Mapping[str, ScoreRule]) -> pd.Series:
    """The one place a KPI's value is derived from its numerator and denominator."""
    if kpi.kind == "count":
        return num.astype(float)
    ratio = num / den.where(den > 0)
    if kpi.kind == "rate":
        return ratio
    rule = weights[kpi.id]
    return rule.points * np.minimum(1.0, ratio / rule.full_at)


def rollup_groups(units: pd.DataFrame) -> dict[str, list[str]]:
    """Roll-up id → member unit ids: ``*`` for all units, ``*<level>`` for each present level."""
    ids = units["unit_id"].astype(str)
    groups = {ROLLUP_ALL: ids.tolist()}
    for level in ("tinh", "huyen", "xa"):
        members = ids[units["level"] == level].tolist()
        if members:
            groups[f"*{level}"] = members
    return groups


def _kpi_rows(counts: pd.DataFrame, weights: Mapping[str, ScoreRule]) -> pd.DataFrame:
    frames = []
    for kpi in _KPI_LIST:
        num = counts[kpi.numerator]
        den = counts[kpi.denominator] if kpi.denominator else pd.Series(np.nan, counts.index)
        frames.append(pd.DataFrame({
            "unit_id": counts.index, "kpi": kpi.id, "numerator": num.to_numpy(),
            "denominator": den.to_numpy(), "value": _value(kpi, num, den, weights).to_numpy(),
        }))
    return pd.concat(frames, ignore_index=True)


def _rollup_rows(ds: Dataset, counts: pd.DataFrame, catalogue: pd.DataFrame,
                 online_pairs: pd.DataFrame, weights: Mapping[str, ScoreRule]) -> pd.DataFrame:
    """Roll-ups add the members' numerators and denominators over the members that report
    both (an unreported member is left out of both, never counted as zero); the coverage KPIs
    count distinct procedures of the members' catalogues instead."""
    groups = rollup_groups(ds.units)
    group_of = {u: g for g, members in groups.items() if g != ROLLUP_ALL for u in members}
    everyone = pd.Series(ROLLUP_ALL, index=counts.index)

    def coverage_of(pairs: pd.DataFrame) -> pd.DataFrame:
        return pd.concat([_coverage_counts(pairs, online_pairs, everyone),
                          _coverage_counts(pairs, online_pairs, pd.Series(group_of))])

    # A coverage *rate* can only use units whose online dossiers are known (not the
    # aggregate-only ones); the count of procedures offered online uses every catalogue.
    known = catalogue["unit_id"].isin(counts.index[counts["procedures_l3_with_online"].notna()])
    coverage_known, coverage_all = coverage_of(catalogue[known]), coverage_of(catalogue)

    def distinct(group: str, count: str, kpi: KpiDef) -> float:
        frame = coverage_known if kpi.denominator else coverage_all
        return float(frame.at[group, count]) if group in frame.index else 0.0

    rows = []
    for group, members in groups.items():
        sub = counts.loc[members]
        for kpi in _KPI_LIST:
            num = sub[kpi.numerator]
            den = sub[kpi.denominator] if kpi.denominator else None
            if kpi.rollup == "distinct_procedures":
                num_total = distinct(group, kpi.numerator, kpi)
                den_total = distinct(group, kpi.denominator, kpi) if kpi.denominator else np.nan
            else:
                reported = num.notna() & (den.notna() if den is not None else True)
                num_total = float(num[reported].sum()) if reported.any() else np.nan
                den_total = (float(den[reported].sum()) if reported.any() else np.nan) \
                    if den is not None else np.nan
            rows.append({"unit_id": group, "kpi": kpi.id, "numerator": num_total,
                         "denominator": den_total})
    frame = pd.DataFrame(rows)
    values = []
    for kpi_id, part in frame.groupby("kpi", sort=False):
        values.append(_value(KPIS[kpi_id], part["numerator"], part["denominator"], weights))
    frame["value"] = pd.concat(values).sort_index()
    return frame


def compute_kpis(ds: Dataset, period: Period, targets: Targets | None = None, *,
                 weights: Mapping[str, ScoreRule] | None = None,
                 compare: bool = True) -> pd.DataFrame:
    """The KPI table for a period: one row per unit (and roll-up) × KPI.

    Columns: unit_id, unit_name, kind, level, is_rollup, period, kpi, numerator, denominator,
    value, target, status, and with ``compare``: value_prev (same period last year), change
    (value − value_prev; points of a fraction for rates) and rank (1 = best among units, for
    KPIs with a direction; roll-ups unranked).
    """
    weights = weights if weights is not None else load_index766_weights()
    table = _raw_table(ds, period, weights)
    if targets is not None:
        from briefkit.targets import apply_targets

        table = apply_targets(table, targets, period,
                              baseline=lambda p: _raw_table(ds, p, weights))
    else:
        table["target"] = np.nan
        table["status"] = STATUS_NA
    if compare:
        previous = _raw_table(ds, period.shift_years(-1), weights)
        table = table.merge(previous[["unit_id", "kpi", "value"]].rename(
            columns={"value": "value_prev"}), on=["unit_id", "kpi"], how="left")
        table["change"] = table["value"] - table["value_prev"]
        table["rank"] = rank_units(table)
    return table


def _raw_table(ds: Dataset, period: Period, weights: Mapping[str, ScoreRule]) -> pd.DataFrame:
    catalogue = _catalogue(ds)
    online_pairs = _online_pairs(ds.dossiers, period)
    counts = unit_counts(ds, period, catalogue=catalogue, online_pairs=online_pairs)
    table = pd.concat([_kpi_rows(counts, weights),
                       _rollup_rows(ds, counts, catalogue, online_pairs, weights)],
                      ignore_index=True)
    units = ds.units.set_index(ds.units["unit_id"].astype(str))
    names = {**units["name"].astype(str).to_dict(), **ROLLUP_NAMES}
    table.insert(1, "unit_name", table["unit_id"].map(names))
    table.insert(2, "kind", table["unit_id"].map(units["kind"].astype(str).to_dict())
                 .fillna(ROLLUP_KIND))
    table.insert(3, "level", table["unit_id"].map(units["level"].astype(str).to_dict())
                 .fillna(table["unit_id"].str.removeprefix("*").replace("", pd.NA)))
    table.insert(4, "is_rollup", table["unit_id"].str.startswith("*")
                 & ~table["unit_id"].isin(units.index))
    table.insert(5, "period", period.spec)
    return table


def rank_units(table: pd.DataFrame) -> pd.Series:
    """Rank of each unit within each KPI (1 = best; ties share the better rank). Roll-ups,
    KPIs without a direction and units without a value get no rank."""
    direction = table["kpi"].map({k.id: k.direction for k in _KPI_LIST})
    score = table["value"].where(~table["is_rollup"] & direction.notna())
    score = score.where(direction != "lower", -score)
    return score.groupby(table["kpi"]).rank(ascending=False, method="min")


def bieu06_frame(table: pd.DataFrame) -> pd.DataFrame:
    """Biểu 06 as a wide frame: one row per unit (and roll-up), columns 3…13 in form order.

    Built from the KPI table so the form and kpis.csv can never disagree; column (5) is the
    sum of the direct and postal counts.
    """
    counts = table.pivot_table(index="unit_id", columns="kpi", values="value", sort=False,
                               dropna=False, aggfunc="first")
    # Column (5) is known even where its split is not (a ward reporting Biểu 06 counts
    # without the optional received_postal): it is what (3) holds besides (4) and (6).
    counts["received_direct_or_postal"] = (counts["received_direct"] + counts["received_postal"]
                                           ).fillna(counts["received_total"]
                                                    - counts["received_online"]
                                                    - counts["carried_over"])
    meta = table.drop_duplicates("unit_id").set_index("unit_id")[
        ["unit_name", "kind", "level", "is_rollup"]]
    wide = meta.join(counts[[c for _, _, _, c in BIEU06_COLUMNS]])
    return wide.rename(columns={c: n for n, _, _, c in BIEU06_COLUMNS})


def kpis_csv_frame(table: pd.DataFrame) -> pd.DataFrame:
    """The contract's kpis.csv columns, in its order."""
    return table[KPI_CSV_COLUMNS]


def kpi_history(ds: Dataset, period: Period, n: int = 8, targets: Targets | None = None, *,
                weights: Mapping[str, ScoreRule] | None = None) -> pd.DataFrame:
    """KPI tables of the ``n`` periods ending with ``period`` (oldest first), stacked, with
    ``period_label`` (Vietnamese) and ``period_order`` (0 = oldest) for trend charts."""
    weights = weights if weights is not None else load_index766_weights()
    frames = []
    for order, each in enumerate(period.trailing(n)):
        frame = compute_kpis(ds, each, targets, weights=weights, compare=False)
        frames.append(frame.assign(period_label=each.label(), period_order=order))
    return pd.concat(frames, ignore_index=True)


def late_without_apology(ds: Dataset, period: Period, unit_id: str | None = None) -> pd.DataFrame:
    """Dossiers resolved late in the period with no apology letter (the complement of the
    ``apology_sent`` count, from the same masks): dossier_id, unit_id, procedure_id,
    procedure_name, due_at, resolved_at, days_late — most days late first."""
    dossiers = ds.dossiers
    if unit_id is not None:
        dossiers = dossiers[dossiers["unit_id"] == unit_id]
    flags = _dossier_indicators(dossiers, _online_levels(ds, dossiers), period)
    late = flags["resolved_late"].to_numpy() & ~flags["apology_sent"].to_numpy()
    listing = dossiers.loc[late, ["dossier_id", "unit_id", "procedure_id", "due_at",
                                  "resolved_at"]].copy()
    listing.insert(3, "procedure_name", listing["procedure_id"].map(
        ds.procedures.set_index("procedure_id")["name"]))
    listing["days_late"] = (listing["resolved_at"] - listing["due_at"]).dt.days
    return listing.sort_values(["days_late", "dossier_id"], ascending=[False, True]).reset_index(
        drop=True)
