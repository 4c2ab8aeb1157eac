"""Tests of briefkit.data.suspicious: values that read fine but are probably wrong (issue 9).

Month-first dates, absurd but in-range counts, ids that differ only invisibly (invisible
characters, letter case, normalisation) and text garbled by a legacy encoding. Each warning
names the file, the row a spreadsheet shows and the column as written, like every problem;
the checks never fire on the correct Vietnamese of the demo data and the fixtures.
"""

from __future__ import annotations

import datetime as dt
import glob
import re
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml

from briefkit.data import RULES, load_dataset, validate
from briefkit.data.mojibake import TCVN3, VNI, garbled, is_syllable
from briefkit.data.suspicious import MONTH_FIRST_MIN_DATES, month_first, suggestions
from briefkit.problems import InputError, Problem
from tests import kpi_fixture
from tests.test_data import (
    AGG_ROW,
    TODAY,
    Table,
    base_tables,
    one,
    problems,
    set_cell,
    with_aggregates,
    write_folder,
    write_xlsx,
)

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture
def tables() -> dict[str, Table]:
    return base_tables()


def rules_of(folder: Path) -> set[str]:
    return {p.rule for p in validate(folder, today=TODAY)}


# --------------------------------------------------------------------------------------
# The rules
# --------------------------------------------------------------------------------------


def test_rules_and_severities() -> None:
    assert RULES["case_duplicate_id"][0] == "error"
    for rule in ("month_first_dates", "implausible_count", "invisible_character",
                 "case_duplicate_record", "garbled_text"):
        assert RULES[rule][0] == "warning", rule


def test_fixture_and_base_tables_raise_nothing_new(tmp_path: Path,
                                                   tables: dict[str, Table]) -> None:
    assert validate(write_folder(tmp_path / "base", tables), today=TODAY) == []
    fixture = kpi_fixture.write_folder(tmp_path / "fixture")
    assert rules_of(fixture) == {"unit_without_data"}
    iso = kpi_fixture.write_folder(tmp_path / "iso", day_first=False)
    assert rules_of(iso) == {"unit_without_data"}


# --------------------------------------------------------------------------------------
# Month-first dates
# --------------------------------------------------------------------------------------

#: Twelve dossiers received on the 2nd and 5th of January to June 2022 (due 3 days later,
#: resolved the next day): every day ≤ 12, so the file could be written either way.
ACTUAL = [dt.date(2022, month, day) for month in range(1, 7) for day in (2, 5)]


def dated(tables: dict[str, Table], fmt: str, dates: list[dt.date] = ACTUAL
          ) -> dict[str, Table]:
    """``tables`` with its dossiers replaced by one per date, written with ``fmt``."""
    header, rows = tables["dossiers"]
    template = rows[0]
    new = []
    for i, day in enumerate(dates):
        row = list(template)
        row[0] = f"M{i}"
        for column, shift in (("received_at", 0), ("due_at", 3), ("resolved_at", 1)):
            row[header.index(column)] = (day + dt.timedelta(days=shift)).strftime(fmt)
        new.append(row)
    tables["dossiers"] = (header, new)
    return tables


def test_month_first_dates(tmp_path: Path, tables: dict[str, Table]) -> None:
    folder = write_folder(tmp_path, dated(tables, "%m/%d/%Y"))
    found = problems(folder, "month_first_dates")
    assert {(p.file, p.row, p.column) for p in found} == {
        ("dossiers.csv", 2, "received_at"), ("dossiers.csv", 2, "due_at"),
        ("dossiers.csv", 2, "resolved_at")}
    p = next(p for p in found if p.column == "received_at")
    assert p.message == (
        "12 distinct dates written day/month/year over 2 months and not one day above 12: "
        "they are read day first as the data contract says ('01/02/2022' = 2022-02-01), but "
        "the file cannot show that they were not written month first ('01/02/2022' would "
        "then be 2022-01-02); check the export's date format on a dossier whose date you "
        "know, or export ISO dates (2022-04-03) (rows 2, 3, 4, 5, 6 and 7 more)")
    # a warning, not an error: the dates are read day first, as the contract says
    ds = load_dataset(folder, today=TODAY)
    assert ds.dossiers["received_at"].iloc[0] == pd.Timestamp("2022-02-01")


@pytest.mark.parametrize("fmt", ["%m-%d-%Y", "%m.%d.%Y", "%m/%d/%Y %H:%M", "%-m/%-d/%Y"])
def test_month_first_in_other_day_first_formats(tmp_path: Path, tables: dict[str, Table],
                                                fmt: str) -> None:
    folder = write_folder(tmp_path, dated(tables, fmt))
    assert "month_first_dates" in rules_of(folder)


def test_a_day_above_12_proves_day_first(tmp_path: Path, tables: dict[str, Table]) -> None:
    dates = [*ACTUAL[:-1], dt.date(2022, 6, 13)]  # 06/13/2022 would be an error; 13/06 is fine
    assert "month_first_dates" not in rules_of(write_folder(tmp_path, dated(tables, "%d/%m/%Y",
                                                                           dates)))


def test_year_first_dates_are_never_month_first(tmp_path: Path,
                                               tables: dict[str, Table]) -> None:
    for fmt in ("%Y-%m-%d", "%Y/%m/%d", "%Y-%d-%m", "%Y-%m-%d %H:%M"):
        folder = write_folder(tmp_path / fmt.replace("%", "").replace("/", ""),
                              dated(base_tables(), fmt))
        assert "month_first_dates" not in rules_of(folder), fmt


def test_native_dates_are_never_month_first(tmp_path: Path, tables: dict[str, Table]) -> None:
    tables = dated(tables, "%Y-%m-%d")
    folder = write_folder(tmp_path / "parquet", tables)
    (folder / "dossiers.csv").unlink()
    header, rows = tables["dossiers"]
    frame = pd.DataFrame(rows, columns=header)
    for column in ("received_at", "due_at", "resolved_at"):
        frame[column] = pd.to_datetime(frame[column])
    frame.to_parquet(folder / "dossiers.parquet")
    assert "month_first_dates" not in rules_of(folder)

    folder = write_folder(tmp_path / "xlsx", tables)
    (folder / "dossiers.csv").unlink()
    cells = [[dt.datetime.fromisoformat(v) if header[j].endswith("_at") else v
              for j, v in enumerate(row)] for row in rows]
    write_xlsx(folder / "dossiers.xlsx", header, cells)
    assert "month_first_dates" not in rules_of(folder)


def test_excel_text_dates_can_be_month_first(tmp_path: Path, tables: dict[str, Table]) -> None:
    tables = dated(tables, "%m/%d/%Y")
    folder = write_folder(tmp_path, tables)
    (folder / "dossiers.csv").unlink()
    write_xlsx(folder / "dossiers.xlsx", *tables["dossiers"])
    assert {p.file for p in problems(folder, "month_first_dates")} == {"dossiers.xlsx"}


def test_month_first_needs_enough_distinct_dates(tmp_path: Path,
                                                 tables: dict[str, Table]) -> None:
    few = ACTUAL[:MONTH_FIRST_MIN_DATES - 1]
    folder = write_folder(tmp_path / "few", dated(tables, "%m/%d/%Y", few * 5))
    assert "month_first_dates" not in rules_of(folder)  # 45 rows, 9 distinct dates
    enough = ACTUAL[:MONTH_FIRST_MIN_DATES]
    folder = write_folder(tmp_path / "enough", dated(base_tables(), "%m/%d/%Y", enough))
    assert "month_first_dates" in rules_of(folder)


def test_one_month_is_not_month_first(tmp_path: Path, tables: dict[str, Table]) -> None:
    # 1–12 March read day first: one month; read month first it would span a year
    dates = [dt.date(2022, 3, d) for d in range(1, 10)]
    folder = write_folder(tmp_path, dated(tables, "%d/%m/%Y", dates))
    assert "month_first_dates" not in rules_of(folder)


def test_month_first_statistic() -> None:
    def days(*iso: str) -> np.ndarray:
        return np.array(iso, dtype="datetime64[D]")

    spread = [f"2022-{m:02d}-{d:02d}" for m in (1, 2, 3, 4, 5) for d in (1, 12)]
    assert month_first(days(*spread))
    assert not month_first(days(*spread[:-1]))  # 9 distinct
    assert not month_first(days(*spread[:-1], spread[0]))  # a repeat is no new date
    assert not month_first(days(*spread, "2022-05-13"))
    assert not month_first(days(*(f"2022-01-{d:02d}" for d in range(1, 13))))  # one month


# --------------------------------------------------------------------------------------
# Absurd but in-range counts
# --------------------------------------------------------------------------------------


def agg_row(period: str, extra: int, column: str = "received_online") -> list[str]:
    """AGG_ROW for ``period`` with ``extra`` dossiers received online and resolved early
    (the Biểu 06 identity still holds), or carried over and pending in time."""
    row = list(AGG_ROW)
    row[1] = period
    names = ["unit_id", "period", "received_online", "received_direct_or_postal",
             "carried_over", "resolved_early", "resolved_on_time", "resolved_late",
             "pending_in_time", "pending_overdue"]
    other = "resolved_early" if column == "received_online" else "pending_in_time"
    for name in (column, other):
        row[names.index(name)] = str(int(row[names.index(name)]) + extra)
    return row


def test_implausible_count(tmp_path: Path, tables: dict[str, Table]) -> None:
    folder = write_folder(tmp_path, with_aggregates(tables, [agg_row("2022Q1", 900_000_000)]))
    found = problems(folder, "implausible_count")
    assert {(p.file, p.row, p.column) for p in found} == {
        ("aggregates.csv", 2, "received_online"), ("aggregates.csv", 2, "resolved_early")}
    assert found[0].message == (
        "count 900,000,010 for unit 'A1' in period '2022Q1' is above 3,000,000 (1,000,000 "
        "dossiers a month, more than the largest province's one-stop system handles): a "
        "typo, extra digits, or a total entered as one unit's?")
    ds = load_dataset(folder, today=TODAY)  # a warning: the count is kept as written
    assert ds.aggregates["received_online"].iloc[0] == 900_000_010


@pytest.mark.parametrize(("period", "extra", "warned"), [
    ("2022Q1", 2_999_990, False), ("2022Q1", 2_999_991, True),
    ("2022-05", 999_990, False), ("2022-05", 999_991, True),
    ("2022", 11_999_990, False), ("2022H1", 6_000_000, True),
])
def test_implausible_count_per_month_of_the_period(tmp_path: Path, tables: dict[str, Table],
                                                   period: str, extra: int,
                                                   warned: bool) -> None:
    folder = write_folder(tmp_path, with_aggregates(tables, [agg_row(period, extra)]))
    assert ("implausible_count" in rules_of(folder)) == warned


def test_no_plausibility_for_an_unreadable_period(tmp_path: Path,
                                                  tables: dict[str, Table]) -> None:
    folder = write_folder(tmp_path, with_aggregates(tables, [agg_row("2022Q9", 10)]))
    assert rules_of(folder) == {"bad_period"}


def test_implausible_stock(tmp_path: Path, tables: dict[str, Table]) -> None:
    row = agg_row("2022Q1", 5_000_000, "carried_over")
    folder = write_folder(tmp_path, with_aggregates(tables, [row]))
    assert {p.column for p in problems(folder, "implausible_count")} == {
        "carried_over", "pending_in_time"}


# --------------------------------------------------------------------------------------
# Invisible characters in ids
# --------------------------------------------------------------------------------------


@pytest.mark.parametrize("char", ["\u200b", "\u200c", "\u200d", "\u2060", "\ufeff", "\u00ad",
                                  "\u200e", "\u202c"])
def test_invisible_characters_are_removed(tmp_path: Path, tables: dict[str, Table],
                                          char: str) -> None:
    set_cell(tables, "dossiers", 1, "unit_id", f"P{char}1")
    folder = write_folder(tmp_path, tables)
    p = one(folder, "invisible_character", "dossiers.csv", 3, "unit_id")
    assert f"U+{ord(char):04X}" in p.message
    assert "'P1'" in p.message
    ds = load_dataset(folder, today=TODAY)  # no unknown_unit: the id is P1
    assert ds.dossiers["unit_id"].tolist() == ["007", "P1"]


@pytest.mark.parametrize("space", ["\u00a0", "\u202f", "\u2009", "\u3000"])
def test_odd_spaces_become_plain_spaces(tmp_path: Path, tables: dict[str, Table],
                                        space: str) -> None:
    set_cell(tables, "units", 2, "unit_id", "P 1")
    set_cell(tables, "dossiers", 1, "unit_id", f"P{space}1")
    folder = write_folder(tmp_path, tables)
    p = one(folder, "invisible_character", "dossiers.csv", 3, "unit_id")
    assert "'P 1'" in p.message
    assert load_dataset(folder, today=TODAY).dossiers["unit_id"].iloc[1] == "P 1"


def test_invisible_characters_on_both_sides(tmp_path: Path, tables: dict[str, Table]) -> None:
    set_cell(tables, "units", 2, "unit_id", "\ufeffP1\u200b")
    set_cell(tables, "dossiers", 1, "dossier_id", "H2\u2060")
    folder = write_folder(tmp_path, tables)
    found = problems(folder, "invisible_character")
    assert {(p.file, p.row, p.column) for p in found} == {
        ("units.csv", 4, "unit_id"), ("dossiers.csv", 3, "dossier_id")}
    assert rules_of(folder) == {"invisible_character"}
    p = next(p for p in found if p.file == "units.csv")
    assert p.message == (
        "1 value(s) had invisible characters or unusual spaces (U+200B ZERO WIDTH SPACE, "
        "U+FEFF ZERO WIDTH NO-BREAK SPACE), which cannot be meant in an id: removed, so "
        "'\\ufeffP1\\u200b' is read as 'P1' (row 4)")


def test_one_warning_per_column_naming_rows(tmp_path: Path, tables: dict[str, Table]) -> None:
    _, rows = tables["dossiers"]
    rows += [[f"H{i}\u200b", *rows[1][1:]] for i in range(3, 40)]
    p = one(write_folder(tmp_path, tables), "invisible_character", "dossiers.csv", 4,
            "dossier_id")
    assert p.message.startswith("37 value(s) had invisible characters")
    assert p.message.endswith("(rows 4, 5, 6, 7, 8 and 32 more)")


def test_an_id_of_invisible_characters_is_empty(tmp_path: Path,
                                                tables: dict[str, Table]) -> None:
    set_cell(tables, "dossiers", 1, "dossier_id", "\u200b\u00a0")
    one(write_folder(tmp_path, tables), "empty_value", "dossiers.csv", 3, "dossier_id")


def test_ids_equal_once_cleaned_are_duplicates(tmp_path: Path,
                                               tables: dict[str, Table]) -> None:
    set_cell(tables, "dossiers", 1, "dossier_id", "H1\u200b")
    p = one(write_folder(tmp_path, tables), "duplicate_id", "dossiers.csv", 3, "dossier_id")
    assert p.message == "dossier_id 'H1' is already used in row 2"


def test_text_columns_keep_their_characters(tmp_path: Path, tables: dict[str, Table]) -> None:
    set_cell(tables, "units", 2, "name", "UBND\u00a0Phường\u200b 1")
    ds = load_dataset(write_folder(tmp_path, tables), today=TODAY)
    assert ds.units["name"].iloc[2] == "UBND\u00a0Phường\u200b 1"
    assert ds.warnings == []


# --------------------------------------------------------------------------------------
# Ids equal but for letter case; normalisation
# --------------------------------------------------------------------------------------


def test_units_differing_only_by_case(tmp_path: Path, tables: dict[str, Table]) -> None:
    _, rows = tables["units"]
    rows.append(["p1", "UBND Phường 1 (trùng)", "phuong_xa", "xa", "Q6", ""])
    p = one(write_folder(tmp_path, tables), "case_duplicate_id", "units.csv", 5, "unit_id")
    assert p.message == (
        "unit_id 'p1' differs from 'P1' (row 4) only by letter case or character width: two "
        "units or one? Ids that differ only so split one unit's dossiers and figures: merge "
        "them or make the ids clearly different")
    with pytest.raises(InputError):
        load_dataset(tmp_path, today=TODAY)


def test_procedures_differing_only_by_width(tmp_path: Path, tables: dict[str, Table]) -> None:
    _, rows = tables["procedures"]
    rows.append(["２.０００", "Đăng ký khai sinh (bản sao)", "Hộ tịch", "xa", "3"])
    p = one(write_folder(tmp_path, tables), "case_duplicate_id", "procedures.csv", 4,
            "procedure_id")
    assert "'２.０００' differs from '2.000' (row 3)" in p.message


def test_dossiers_differing_only_by_case(tmp_path: Path, tables: dict[str, Table]) -> None:
    set_cell(tables, "dossiers", 1, "dossier_id", "h1")
    folder = write_folder(tmp_path, tables)
    p = one(folder, "case_duplicate_record", "dossiers.csv", 3, "dossier_id")
    assert p.message == ("dossier_id 'h1' differs from 'H1' (row 2) only by letter case or "
                         "character width: if they are the same record it is counted twice")
    assert len(load_dataset(folder, today=TODAY).dossiers) == 2  # a warning: both kept


def test_one_spelling_reported_once(tmp_path: Path, tables: dict[str, Table]) -> None:
    _, rows = tables["dossiers"]
    rows += [["h1", *rows[1][1:]], ["H1", *rows[1][1:]], ["h1", *rows[1][1:]]]
    found = validate(write_folder(tmp_path, tables), today=TODAY)
    assert sorted((p.rule, p.row) for p in found) == [
        ("case_duplicate_record", 4), ("duplicate_id", 5), ("duplicate_id", 6)]


def test_mixed_case_ids_without_twins(tmp_path: Path, tables: dict[str, Table]) -> None:
    set_cell(tables, "dossiers", 1, "dossier_id", "aB1")  # mixed case, no twin
    assert validate(write_folder(tmp_path, tables), today=TODAY) == []


def test_reference_differing_only_by_case(tmp_path: Path, tables: dict[str, Table]) -> None:
    set_cell(tables, "dossiers", 1, "unit_id", "p1")
    set_cell(tables, "dossiers", 0, "procedure_id", "１.００１６００")
    folder = write_folder(tmp_path, tables)
    p = one(folder, "unknown_unit", "dossiers.csv", 3, "unit_id")
    assert p.message == "unit_id 'p1': no such unit in units.csv; did you mean 'P1'?"
    p = one(folder, "unknown_procedure", "dossiers.csv", 2, "procedure_id")
    assert p.message.endswith("; did you mean '1.001600'?")


def test_unknown_reference_message_unchanged_without_hint(tmp_path: Path,
                                                          tables: dict[str, Table]) -> None:
    set_cell(tables, "dossiers", 1, "unit_id", "NOPE")
    p = one(write_folder(tmp_path, tables), "unknown_unit", "dossiers.csv", 3, "unit_id")
    assert p.message == "unit_id 'NOPE': no such unit in units.csv"


def test_decomposed_ids_equal_precomposed(tmp_path: Path, tables: dict[str, Table]) -> None:
    import unicodedata

    set_cell(tables, "units", 2, "unit_id", "Phường1")
    set_cell(tables, "dossiers", 1, "unit_id", unicodedata.normalize("NFD", "Phường1"))
    ds = load_dataset(write_folder(tmp_path, tables), today=TODAY)
    assert ds.warnings == []
    assert ds.dossiers["unit_id"].iloc[1] == "Phường1"


def test_suggestions() -> None:
    known = pd.Series(["TP", "Ab", "aB", "007"], dtype="str")
    wanted = pd.Series(["tp", "AB", "xx", "TP", None], dtype="str")
    assert suggestions(wanted, known) == {"tp": "TP", "TP": "TP"}  # "AB": two candidates


# --------------------------------------------------------------------------------------
# Legacy-encoding mojibake
# --------------------------------------------------------------------------------------

GARBLED = [
    ("Há»™ tá»‹ch", "UTF-8 read as Windows-1252", "Hộ tịch"),
    ("PhÃ²ng TÆ° phÃ¡p", "UTF-8 read as Windows-1252", "Phòng Tư pháp"),
    ("Ä\x90Äƒng kÃ½ khai sinh", "UTF-8 read as Windows-1252", "Đăng ký khai sinh"),
    ("HÃ¡Â»â„¢ tÃ¡Â»â€¹ch", "UTF-8 read as Windows-1252", "Hộ tịch"),  # twice
    ("Hé tÞch", "TCVN3 (ABC)", "Hộ tịch"),
    ("Phßng Tµi chÝnh - KÕ ho¹ch", "TCVN3 (ABC)", "Phòng Tài chính - Kế hoạch"),
    ("UBND HUYÖN", "TCVN3 (ABC)", "UBND HUYỆN"),
    ("Së T\u00ad ph¸p", "TCVN3 (ABC)", "Sở Tư pháp"),
    ("Hoä tòch", "VNI", "Hộ tịch"),
    ("Phoøng Tö phaùp", "VNI", "Phòng Tư pháp"),
    ("UBND Xaõ Hoàng An", "VNI", "UBND Xã Hồng An"),
    ("Giao ñaát", "VNI", "Giao đất"),
]


@pytest.mark.parametrize(("text", "encoding", "repaired"), GARBLED)
def test_garbled(text: str, encoding: str, repaired: str) -> None:
    assert garbled(text) == (encoding, repaired)


@pytest.mark.parametrize(("table", "row", "column"), [
    ("units", 1, "name"), ("units", 1, "fields"), ("procedures", 0, "name"),
    ("procedures", 1, "field")])
def test_garbled_text_warning(tmp_path: Path, tables: dict[str, Table], table: str, row: int,
                              column: str) -> None:
    set_cell(tables, table, row, column, "Chøng thùc b¶n sao")
    p = one(write_folder(tmp_path, tables), "garbled_text", f"{table}.csv", row + 2, column)
    assert p.message == (
        "text garbled by a legacy encoding (TCVN3 (ABC)): 'Chøng thùc b¶n sao' is probably "
        "'Chứng thực bản sao' (1 value(s), row " + str(row + 2) + "); export the file again "
        "as Unicode (CSV UTF-8) from the original, or convert it (e.g. Unikey's converter)")


def test_garbled_text_is_kept_as_written(tmp_path: Path, tables: dict[str, Table]) -> None:
    set_cell(tables, "units", 2, "name", "UBND PhÆ°á»\x9dng 1")
    ds = load_dataset(write_folder(tmp_path, tables), today=TODAY)
    assert ds.units["name"].iloc[2] == "UBND PhÆ°á»\x9dng 1"
    (w,) = ds.warnings
    assert "is probably 'UBND Phường 1'" in w.message


def correct_vietnamese() -> set[str]:
    """Every text of the demo worlds (their units, procedures and world files: what
    ``briefkit demo-data`` writes), the translations and the fixtures."""
    texts: set[str] = set()
    resources = ROOT / "lib" / "briefkit" / "resources" / "demo"
    for path in glob.glob(str(resources / "*" / "*.csv")):
        frame = pd.read_csv(path, dtype=str, keep_default_na=False)
        for column in ("name", "kind", "fields", "field"):
            if column in frame:
                texts.update(frame[column])

    def walk(node: object) -> None:
        if isinstance(node, str):
            texts.add(node)
        elif isinstance(node, dict):
            for key, value in node.items():
                walk(key)
                walk(value)
        elif isinstance(node, list):
            for value in node:
                walk(value)

    for path in glob.glob(str(resources / "**" / "*.yaml"), recursive=True):
        walk(yaml.safe_load(Path(path).read_text(encoding="utf-8")))
    for path in glob.glob(str(ROOT / "lib" / "briefkit" / "locale" / "**" / "*.po"),
                          recursive=True):
        texts.update(re.findall(r'msgstr "(.*)"', Path(path).read_text(encoding="utf-8")))
    for frame in (kpi_fixture.UNITS, kpi_fixture.PROCEDURES):
        for column in ("name", "kind", "fields", "field"):
            if column in frame:
                texts.update(frame[column].dropna())
    for header_rows in base_tables().values():
        texts.update(str(v) for row in header_rows[1] for v in row)
    return {t for t in texts if not t.isascii()}


def test_no_false_positive_on_correct_vietnamese() -> None:
    texts = correct_vietnamese()
    assert len(texts) > 800
    assert [t for t in texts if garbled(t)] == []
    words = {w for t in texts for w in re.findall(r"[^\W\d_]+", t) if not w.isascii()}
    assert [w for w in words if not is_syllable(w)] == []


def test_garbled_demo_names_are_recognised_and_repaired() -> None:
    names: set[str] = set()
    resources = ROOT / "lib" / "briefkit" / "resources" / "demo"
    for path in glob.glob(str(resources / "*" / "*.csv")):
        frame = pd.read_csv(path, dtype=str, keep_default_na=False)
        for column in ("name", "fields", "field"):
            if column in frame:
                names.update(v for v in frame[column] if not v.isascii())
    to_tcvn3 = {letter: code for code, letter in TCVN3.items()}
    to_vni = {letter: code for code, letter in VNI.items()}

    def as_cp1252(text: str) -> str:
        return "".join(chr(b) if b in (0x81, 0x8D, 0x8F, 0x90, 0x9D)
                       else bytes([b]).decode("cp1252") for b in text.encode("utf-8"))

    def as_tcvn3(text: str) -> str:  # capitals with a tone take the small letter's code
        return "".join(to_tcvn3.get(c, to_tcvn3.get(c.lower(), c)) for c in text)

    def as_vni(text: str) -> str:
        return "".join(to_vni.get(c, c) for c in text)

    for garble, encoding, least in ((as_cp1252, "UTF-8 read as Windows-1252", 1.0),
                                    (as_tcvn3, "TCVN3 (ABC)", 0.99), (as_vni, "VNI", 1.0)):
        found = {name: garbled(garble(name)) for name in names}
        recognised = [n for n, r in found.items() if r is not None]
        assert len(recognised) >= least * len(names), (encoding, len(recognised), len(names))
        for name in recognised:
            got = found[name]
            assert got is not None and got[0] == encoding, (name, got)
            assert (got[1] or "").casefold() == name.casefold(), (name, got)


@pytest.mark.parametrize(("word", "valid"), [
    ("nghiêng", True), ("quyết", True), ("giữa", True), ("gì", True), ("khuya", True),
    ("nguyễn", True), ("người", True), ("rượu", True), ("Quỳnh", True), ("hòa", True),
    ("hoà", True), ("thuý", True), ("khuếch", True), ("xoong", True), ("ĐẤT", True),
    ("tũch", False), ("dôc", False), ("xaõ", False), ("muà", False), ("hòang", False),
    ("hoọ", False), ("café", False), ("UBND", False), ("tÞch", False),
])
def test_is_syllable(word: str, valid: bool) -> None:
    assert is_syllable(word) is valid


# --------------------------------------------------------------------------------------
# Through the whole loader
# --------------------------------------------------------------------------------------


def test_warnings_travel_with_the_dataset(tmp_path: Path, tables: dict[str, Table]) -> None:
    tables = with_aggregates(dated(tables, "%m/%d/%Y"), [agg_row("2022Q1", 900_000_000)])
    set_cell(tables, "units", 0, "name", "UBND QuËn 6")
    set_cell(tables, "units", 1, "unit_id", "007\u200b")
    ds = load_dataset(write_folder(tmp_path, tables), today=TODAY)
    assert {w.rule for w in ds.warnings} >= {
        "month_first_dates", "implausible_count", "garbled_text", "invisible_character"}
    assert all(isinstance(w, Problem) and w.severity == "warning" for w in ds.warnings)
