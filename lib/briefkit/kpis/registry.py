"""What a KPI is: the registry every table, chart, sentence and annex column reads.

:data:`KPIS` (one :class:`KpiDef` each), the base counts they are built from
(:data:`BASE_COUNTS`), the Biểu 06 form's columns, the status and roll-up vocabularies, and the
Decision-766 weights (a parameter file, not code). Nothing here computes a figure.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Literal

from briefkit import packaged

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
    "status", "basis",
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
    #: The outputs it appears in (:data:`OUTPUTS`) and its place among the KPIs of any of
    #: them (briefings discuss KPIs in this order); :func:`shown_in` reads them.
    shown: tuple[str, ...] = ()
    order: int = 1_000_000
    #: A column heading of a few characters, for narrow tables (the CLI's summary).
    short_label: str = ""

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
#: The outputs a KPI can appear in (:attr:`KpiDef.shown`).
OUTPUTS: Mapping[str, str] = {
    "unit": "the unit briefing's KPI table",
    "unit_findings": "the unit briefing's findings, a sentence each",
    "overview": "the overview's headline findings on the whole of the units",
    "follow_up": "the overview's findings naming the units below target",
    "heatmap": "the overview's heat map of statuses",
    "peer": "the unit briefing's comparison with the units of its kind (peers' rows in its "
            "slice of the prepared data)",
    "annex": "the annex's \"Chỉ tiêu\" sheet (grouped by KPI group)",
    "summary": "the summary table `briefkit kpis` prints",
}

# Where each KPI appears, declared once, in the order the briefings discuss them (the order
# of every output's KPIs); with the short heading of the printed summary where it has one.
_PRESENTATION: dict[str, tuple[str, ...]] = {
    "online_rate": ("unit", "unit_findings", "overview", "follow_up", "heatmap", "peer",
                    "annex", "summary"),
    "on_time_rate": ("unit", "unit_findings", "overview", "follow_up", "heatmap", "annex",
                     "summary"),
    "received_total": ("unit", "summary"),
    "received_online": ("unit",),
    "received_postal": ("unit",),
    "returned_by_post": ("unit",),
    "resolved_total": ("unit", "summary"),
    "resolved_late": ("unit", "unit_findings", "summary"),
    "late_apology_rate": ("unit", "unit_findings", "overview", "follow_up", "heatmap", "annex",
                          "summary"),
    "pending_overdue": ("unit", "unit_findings", "overview", "follow_up", "heatmap",
                        "summary"),
    "l3_online_share": ("unit", "unit_findings", "heatmap", "annex"),
    "l4_online_share": ("unit", "unit_findings", "heatmap", "annex"),
    "online_received_l3": ("unit",),
    "online_received_l4": ("unit",),
    "l3_procedures_with_online": ("unit", "unit_findings", "follow_up", "heatmap", "annex"),
    "l4_procedures_with_online": ("unit", "unit_findings", "follow_up", "heatmap", "annex"),
    "documents_signed_rate": ("unit", "unit_findings", "heatmap", "annex"),
    "index766_progress": ("unit", "unit_findings", "annex", "summary"),
    "index766_online": ("unit", "unit_findings", "annex"),
}
_SHORT_LABELS = {
    "received_total": "Tiếp nhận", "resolved_total": "Đã giải quyết", "online_rate": "Trực tuyến",
    "on_time_rate": "Đúng hạn", "resolved_late": "Trễ hạn", "late_apology_rate": "Có thư xin lỗi",
    "pending_overdue": "Đang quá hạn", "index766_progress": "Điểm tiến độ",
}
_ORDER = {kpi: n for n, kpi in enumerate(_PRESENTATION)}
_KPI_LIST = [replace(k, advice=_ADVICE.get(k.id, ""), shown=_PRESENTATION.get(k.id, ()),
                     order=_ORDER.get(k.id, 1_000_000),
                     short_label=_SHORT_LABELS.get(k.id, k.label)) for k in _KPI_LIST]

KPIS: dict[str, KpiDef] = {k.id: k for k in _KPI_LIST}


def shown_in(output: str) -> tuple[str, ...]:
    """The ids of the KPIs that ``output`` (one of :data:`OUTPUTS`) shows, in the order the
    briefings discuss them."""
    if output not in OUTPUTS:
        raise ValueError(f"unknown output {output!r} (known: {', '.join(OUTPUTS)})")
    return tuple(k.id for k in sorted((k for k in _KPI_LIST if output in k.shown),
                                      key=lambda k: k.order))

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

#: The Decision-766 weights briefkit ships (``params/index766.yaml``; see
#: :mod:`briefkit.packaged`), used when no file is named.
DEFAULT_INDEX766_FILE = packaged.params_path("index766.yaml")


@dataclass(frozen=True)
class ScoreRule:
    """Points for a Decision-766 sub-indicator: ``points × min(1, ratio / full_at)``."""

    points: float
    full_at: float = 1.0


def load_index766_weights(path: str | Path | None = None) -> dict[str, ScoreRule]:
    """Read the Decision-766 weights (not fully confirmed by the sources, hence a file)."""
    from briefkit.yamlfiles import read_yaml

    source = Path(path) if path else DEFAULT_INDEX766_FILE
    try:
        raw = read_yaml(source) or {}  # strictly: see briefkit.yamlfiles
    except FileNotFoundError as exc:
        raise FileNotFoundError(f"{source}: Decision-766 weights file not found") from exc
    rules: dict[str, ScoreRule] = {}
    for kpi in (k.id for k in _KPI_LIST if k.kind == "points"):
        spec = raw.get(kpi)
        if not isinstance(spec, Mapping) or "points" not in spec:
            raise ValueError(f"{source}: '{kpi}' needs a mapping with 'points' (and 'full_at')")
        rules[kpi] = ScoreRule(float(spec["points"]), float(spec.get("full_at", 1.0)))
    return rules

