"""The data contract's input tables, as data.

Everything a loader needs to know about an input table lives here, in one declarative
place: the canonical columns, the header aliases real exports use, each column's kind
(which decides how it is parsed and checked), whether the column must be present and
whether a value must be filled in, the unique keys and the references between tables,
and the value vocabularies (levels, online levels, channels, booleans).

:mod:`briefkit.data` interprets these declarations generically, so adding an alias or a
spelling is a one-line change here and never a new code path. When the contract
(``data-contract.md``) changes, this module is the one to update.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Literal

#: How a column is parsed and checked.
#:
#: - ``id``: a code or identifier; kept as text exactly as written (leading zeros!).
#: - ``text``: free text, stripped; missing → NA.
#: - ``level``: administrative level, one of :data:`LEVELS`.
#: - ``online_level``: 2 / 3 / 4 (see :data:`ONLINE_LEVEL_VOCABULARY`).
#: - ``channel``: one of :data:`CHANNELS`.
#: - ``date``: a calendar date (time of day dropped).
#: - ``bool``: yes/no, missing → False.
#: - ``count``: a non-negative integer (Biểu 06 counts).
#: - ``period``: a period spec such as ``2022Q1``, checked by :func:`briefkit.periods.parse_period`.
Kind = Literal["id", "text", "level", "online_level", "channel", "date", "bool", "count", "period"]

#: Kinds whose values are codes: an Excel number in such a column probably lost leading
#: zeros or trailing decimals, so the loader warns about it.
CODE_KINDS: frozenset[str] = frozenset({"id"})

LEVELS: tuple[str, ...] = ("tinh", "huyen", "xa")
CHANNELS: tuple[str, ...] = ("truc_tiep", "truc_tuyen", "buu_chinh")
ONLINE_LEVELS: tuple[int, ...] = (2, 3, 4)

_DIACRITIC_FREE = str.maketrans({"đ": "d", "Đ": "d"})
_NOT_ALNUM = re.compile(r"[\W_]+", re.UNICODE)


def fold(text: str) -> str:
    """Matching key for headers and vocabulary: no case, no diacritics, no spacing.

    Vietnamese text arrives both precomposed (NFC) and decomposed (NFD, e.g. from macOS
    file names and some exports), in any case, with varying spaces, underscores and
    punctuation. Folding all of them to one key lets ``"Mã hồ sơ"``, ``"MaHoSo"``,
    ``"ma_ho_so"`` and ``"MÃ HỒ SƠ"`` match the same column. ``đ`` is a letter of its
    own, not a ``d`` with a mark, so it is mapped explicitly.
    """
    decomposed = unicodedata.normalize("NFD", text.translate(_DIACRITIC_FREE))
    bare = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    return _NOT_ALNUM.sub("", bare.casefold())


@dataclass(frozen=True)
class Column:
    """One canonical column of an input table.

    ``present`` says whether the column must exist in the file; ``filled`` whether every
    record must have a value in it (an empty cell is then an ``empty_value`` error).
    An absent optional column gets its default: NA for text and counts, False for
    booleans, NaT for dates.
    """

    name: str
    kind: Kind
    aliases: tuple[str, ...] = ()
    present: bool = True
    filled: bool = False
    description: str = ""
    #: For dates: how many days after today a value may lie before it is suspicious
    #: (a due date is naturally in the future, a receipt date is not).
    future_days: int = 0

    @property
    def keys(self) -> frozenset[str]:
        """Folded header spellings that designate this column."""
        return frozenset(fold(h) for h in (self.name, *self.aliases))


@dataclass(frozen=True)
class Reference:
    """A column whose values must exist in another table's key column."""

    column: str
    table: str
    target: str
    rule: str


@dataclass(frozen=True)
class DateOrder:
    """``later`` must not be before ``earlier`` (compared as calendar dates) in one record.

    The severity of a breach is that of ``rule`` (an impossible order is an error, a merely
    odd one a warning; see ``briefkit.data.RULES``).
    """

    later: str
    earlier: str
    rule: str


@dataclass(frozen=True)
class Table:
    """One input table: its file stem, columns, unique key and references."""

    name: str
    columns: tuple[Column, ...]
    required: bool = True
    unique: tuple[str, ...] = ()
    references: tuple[Reference, ...] = ()
    date_orders: tuple[DateOrder, ...] = ()
    description: str = ""

    @property
    def column_names(self) -> list[str]:
        return [c.name for c in self.columns]

    def column(self, name: str) -> Column:
        for c in self.columns:
            if c.name == name:
                return c
        raise KeyError(name)

    def header_index(self) -> dict[str, str]:
        """Folded header → canonical column name."""
        return {key: c.name for c in self.columns for key in c.keys}


# --------------------------------------------------------------------------------------
# The tables (data-contract.md, "Inputs")
# --------------------------------------------------------------------------------------

UNITS = Table(
    name="units",
    description="Units that resolve dossiers (phòng/ban, phường/xã, sở/ngành…).",
    columns=(
        Column("unit_id", "id", ("Mã đơn vị", "MaDonVi"), filled=True),
        Column("name", "text", ("Tên đơn vị", "TenDonVi")),
        Column("kind", "text", ("Loại đơn vị",)),
        Column("level", "level", ("Cấp",), filled=True),
        Column("parent_id", "id", ("Đơn vị cấp trên",), present=False),
        Column("fields", "text", ("Lĩnh vực",), present=False,
               description="lĩnh vực names separated by ';'"),
    ),
    unique=("unit_id",),
    references=(Reference("parent_id", "units", "unit_id", "unknown_unit"),),
)

PROCEDURES = Table(
    name="procedures",
    description="Administrative procedures (TTHC) with their level and online service level.",
    columns=(
        Column("procedure_id", "id", ("Mã TTHC", "MaTTHC"), filled=True),
        Column("name", "text", ("Tên TTHC", "TenTTHC")),
        Column("field", "text", ("Lĩnh vực", "TenLinhVuc")),
        Column("level", "level", ("Cấp thực hiện",), filled=True),
        Column("online_level", "online_level", ("Mức độ", "MucDo"), filled=True),
    ),
    unique=("procedure_id",),
)

DOSSIERS = Table(
    name="dossiers",
    description="One row per dossier (hồ sơ TTHC).",
    columns=(
        Column("dossier_id", "id", ("Mã hồ sơ", "MaHoSo"), filled=True),
        Column("unit_id", "id", ("Đơn vị giải quyết", "DonViXuLy"), filled=True),
        Column("procedure_id", "id", ("Mã TTHC", "MaTTHC"), filled=True),
        Column("channel", "channel", ("Hình thức nộp", "Kênh thực hiện", "KenhThucHien"),
               filled=True),
        Column("received_at", "date", ("Ngày tiếp nhận", "NgayTiepNhan"), filled=True),
        Column("due_at", "date", ("Ngày hẹn trả", "NgayHenTra"), filled=True, future_days=366),
        Column("resolved_at", "date", ("Ngày có kết quả", "NgayKetThucXuLy"),
               description="empty while the dossier is open"),
        # "boolean, default false": a file without the column means false everywhere.
        Column("returned_by_post", "bool", ("Trả kết quả qua BCCI",), present=False),
        Column("apology_sent", "bool", ("Thư xin lỗi",), present=False),
        Column("inter_agency", "bool", ("Liên thông giữa cơ quan nhà nước",), present=False),
    ),
    unique=("dossier_id",),
    references=(
        Reference("unit_id", "units", "unit_id", "unknown_unit"),
        Reference("procedure_id", "procedures", "procedure_id", "unknown_procedure"),
    ),
    date_orders=(
        DateOrder("resolved_at", "received_at", "resolved_before_received"),
        DateOrder("due_at", "received_at", "due_before_received"),
    ),
)

#: Biểu 06 count columns that every aggregates row must fill.
AGGREGATE_COUNTS: tuple[str, ...] = (
    "received_online", "received_direct_or_postal", "carried_over",
    "resolved_early", "resolved_on_time", "resolved_late",
    "pending_in_time", "pending_overdue",
)
#: Optional Biểu 06 count columns (NA where absent).
AGGREGATE_OPTIONAL_COUNTS: tuple[str, ...] = (
    "resolved_online", "received_postal", "returned_by_post", "apology_sent",
)

AGGREGATES = Table(
    name="aggregates",
    required=False,
    description="Biểu số 06/VPCP/KSTT counts for units that report counts only.",
    columns=(
        Column("unit_id", "id", filled=True),
        Column("period", "period", filled=True),
        *(Column(c, "count", filled=True) for c in AGGREGATE_COUNTS),
        *(Column(c, "count", present=False) for c in AGGREGATE_OPTIONAL_COUNTS),
    ),
    unique=("unit_id", "period"),
    references=(Reference("unit_id", "units", "unit_id", "unknown_unit"),),
)

DOCUMENTS = Table(
    name="documents",
    required=False,
    description="Documents exchanged between agencies.",
    columns=(
        Column("document_id", "id", filled=True),
        Column("unit_id", "id", filled=True),
        Column("sent_at", "date", filled=True),
        Column("electronic", "bool"),
        Column("digitally_signed", "bool"),
    ),
    unique=("document_id",),
    references=(Reference("unit_id", "units", "unit_id", "unknown_unit"),),
)

UNIT_CHANGES = Table(
    name="unit_changes",
    required=False,
    description="Which former unit became part of which unit, and from when (mergers such as "
                "the 1/7/2025 reform).",
    columns=(
        Column("from_unit_id", "id", ("Mã đơn vị cũ",), filled=True,
               description="a former unit"),
        Column("to_unit_id", "id", ("Mã đơn vị mới",), filled=True,
               description="the unit it became part of"),
        Column("effective_date", "date", ("Ngày hiệu lực",), filled=True, future_days=366,
               description="the first day of the new unit"),
    ),
    # a unit ends once: merged into two units would count its dossiers twice
    unique=("from_unit_id",),
    references=(Reference("from_unit_id", "units", "unit_id", "unknown_unit"),
                Reference("to_unit_id", "units", "unit_id", "unknown_unit")),
)

TABLES: dict[str, Table] = {t.name: t for t in (UNITS, PROCEDURES, DOSSIERS, AGGREGATES, DOCUMENTS,
                                                UNIT_CHANGES)}

#: File formats a table may come in, by suffix.
FORMATS: tuple[str, ...] = (".csv", ".xlsx", ".parquet")


@dataclass(frozen=True)
class Form06Rule:
    """One identity or bound of Biểu số 06 over an aggregates row.

    ``left`` and ``right`` are sums of columns; ``op`` is ``"=="`` (identity) or ``"<="``
    (bound). Bounds only apply where all their columns are filled in.
    """

    left: tuple[str, ...]
    op: Literal["==", "<="]
    right: tuple[str, ...]
    label: str = ""


_RESOLVED = ("resolved_early", "resolved_on_time", "resolved_late")

#: (3) = (4)+(5)+(6) and (3) = (7)+(11) collapse to one identity over the stored columns.
FORM06_IDENTITIES: tuple[Form06Rule, ...] = (
    Form06Rule(
        ("received_online", "received_direct_or_postal", "carried_over"), "==",
        (*_RESOLVED, "pending_in_time", "pending_overdue"),
        "received (online + direct or postal + carried over) = resolved + pending",
    ),
)
FORM06_BOUNDS: tuple[Form06Rule, ...] = (
    Form06Rule(("resolved_online",), "<=", _RESOLVED, "resolved online ≤ resolved"),
    Form06Rule(("received_postal",), "<=", ("received_direct_or_postal",),
               "received by post ≤ received direct or by post"),
    Form06Rule(("apology_sent",), "<=", ("resolved_late",), "apologies ≤ resolved late"),
    Form06Rule(("returned_by_post",), "<=", _RESOLVED, "returned by post ≤ resolved"),
)


# --------------------------------------------------------------------------------------
# Value vocabularies: every accepted spelling, folded with :func:`fold` when used.
# --------------------------------------------------------------------------------------


def _vocabulary(spellings: Mapping[object, Iterable[str]]) -> dict[str, object]:
    """Folded spelling → canonical value; a spelling listed twice is a bug here."""
    out: dict[str, object] = {}
    for value, words in spellings.items():
        for word in words:
            key = fold(word)
            if out.get(key, value) != value:
                raise ValueError(f"spelling {word!r} maps to {out[key]!r} and {value!r}")
            out[key] = value
    return out


LEVEL_VOCABULARY: dict[str, object] = _vocabulary({
    "tinh": ("tinh", "Tỉnh", "cấp tỉnh", "cap_tinh", "province", "provincial"),
    "huyen": ("huyen", "Huyện", "cấp huyện", "cap_huyen", "district"),
    "xa": ("xa", "Xã", "cấp xã", "cap_xa", "commune"),
})

ONLINE_LEVEL_VOCABULARY: dict[str, object] = _vocabulary({
    # Before Decree 42/2022: mức độ 1–4 (1 and 2 are not online); after it: một phần / toàn trình.
    2: ("2", "1", "khong", "Không", "mức độ 1", "mức độ 2", "mức 1", "mức 2", "muc_do_2",
        "không trực tuyến", "DVC mức độ 2", "dịch vụ công mức độ 2"),
    3: ("3", "mot_phan", "Một phần", "mức độ 3", "mức 3", "muc_do_3", "trực tuyến một phần",
        "DVCTT một phần", "dịch vụ công trực tuyến một phần", "DVC mức độ 3",
        "dịch vụ công mức độ 3"),
    4: ("4", "toan_trinh", "Toàn trình", "mức độ 4", "mức 4", "muc_do_4",
        "trực tuyến toàn trình", "DVCTT toàn trình", "dịch vụ công trực tuyến toàn trình",
        "DVC mức độ 4", "dịch vụ công mức độ 4"),
})

CHANNEL_VOCABULARY: dict[str, object] = _vocabulary({
    "truc_tiep": ("truc_tiep", "1", "Trực tiếp", "Nộp trực tiếp", "Tiếp nhận trực tiếp",
                  "Tại bộ phận một cửa", "direct", "in person"),
    "truc_tuyen": ("truc_tuyen", "2", "Trực tuyến", "Nộp trực tuyến", "Tiếp nhận trực tuyến",
                   "Qua mạng", "Dịch vụ công trực tuyến", "DVCTT", "online"),
    "buu_chinh": ("buu_chinh", "3", "Bưu chính", "Bưu chính công ích", "BCCI", "Qua bưu chính",
                  "Qua BCCI", "Qua bưu chính công ích", "Dịch vụ bưu chính công ích",
                  "Qua dịch vụ bưu chính công ích", "Nộp qua bưu chính", "post", "postal"),
})

BOOL_VOCABULARY: dict[str, object] = _vocabulary({
    True: ("true", "1", "có", "x", "yes", "y", "đúng", "đã gửi", "rồi"),
    False: ("false", "0", "không", "no", "n", "sai", "chưa", "chưa gửi"),
})

VOCABULARIES: dict[str, dict[str, object]] = {
    "level": LEVEL_VOCABULARY,
    "online_level": ONLINE_LEVEL_VOCABULARY,
    "channel": CHANNEL_VOCABULARY,
    "bool": BOOL_VOCABULARY,
}

#: What the message of an unknown value lists as accepted.
VOCABULARY_HINTS: dict[str, str] = {
    "level": "tinh / huyen / xa (or Tỉnh, Huyện, Xã, cấp tỉnh…)",
    "online_level": "2 / 3 / 4, khong / mot_phan / toan_trinh, or mức độ 2/3/4",
    "channel": "truc_tiep / truc_tuyen / buu_chinh, Trực tiếp / Trực tuyến / "
               "Bưu chính công ích (BCCI), or 1 / 2 / 3",
    "bool": "true/false, 1/0, có/không, x/empty, yes/no",
}


#: Date formats of the date part of a cell (what precedes a space or ``T``), tried in this
#: order on the values still unparsed. Only explicit formats: never a parser that guesses,
#: since ``03/04/2022`` must be the 3rd of April (Vietnamese day-first) and never silently
#: become March 4th. ``%d`` and ``%m`` also read one digit (``4/3/2022``).
DATE_FORMATS: tuple[str, ...] = (
    "%Y-%m-%d",   # ISO
    "%d/%m/%Y",   # Vietnamese
    "%d-%m-%Y",
    "%d.%m.%Y",
    "%Y/%m/%d",
)

#: The optional time of day after the date (``08:30``, ``8:30:15``, ``08:30:00.000``).
#: It is checked, then dropped: the KPIs compare calendar dates.
TIME_PATTERN = r"(?:[01]?\d|2[0-3]):[0-5]\d(?::[0-5]\d(?:\.\d{1,9})?)?"

#: Cell contents that mean "nothing here" in dates, booleans and counts (SQL dumps write
#: NULL for an open dossier's result date, spreadsheets "-" or "#N/A"). Ids and text keep
#: them as written: "NA" may well be a code.
NULL_MARKERS: frozenset[str] = frozenset(
    {"null", "NULL", "Null", "none", "None", "nan", "NaN", "NaT", "N/A", "n/a", "#N/A", "-", "—"}
)
NULL_MARKER_KINDS: frozenset[str] = frozenset({"date", "bool", "count"})

#: Dates before this year are suspicious (typos such as 1022, Excel's 1900 zero date).
EARLIEST_PLAUSIBLE_YEAR = 2000
