"""What briefkit writes is safe whatever the data and the output folder hold (issue 9).

* Text from the data is never markup, a formula or a control character in any output: one rule
  (:mod:`briefkit.textsafety`) shows control characters as ``\\x1b`` in the terminal, the HTML,
  the PDF, the charts, the annex and kpis.csv, and kpis.csv writes formula-like text after an
  apostrophe (numbers stay numbers).
* A symbolic link planted in the output folder never makes ``briefkit kpis`` or ``briefkit run``
  write (or delete) outside ``--out``.

One ``briefkit run`` on hostile names (with links planted in its period folder) is shared by
the tests of the documents; a second, of one unit, runs into a period folder that is a link.
"""

from __future__ import annotations

import base64
import csv
import dataclasses
import io
import json
import os
import re
import shutil
import subprocess
from pathlib import Path
from typing import Any

import openpyxl
import pandas as pd
import pytest
from typer.testing import CliRunner

from briefkit.annex import neutral_text
from briefkit.batch import unit_slug
from briefkit.charts import wrap_name
from briefkit.cli import _text, app
from briefkit.document import DOCUMENT_INFO_MIMETYPE
from briefkit.kpis import compute_kpis
from briefkit.periods import parse_period
from briefkit.pipeline import kpis_csv_text
from briefkit.textsafety import csv_text, html_text, is_formula_like, visible
from tests import kpi_fixture

#: The names of issue 9: a terminal escape with NUL and BEL, a spreadsheet formula, HTML and
#: rich markup; a procedure name and a unit id with control characters too.
NAMES = {
    "TP": "\x1b[31mPhòng\x00 Tư pháp\x07",
    "007": '=HYPERLINK("http://x","y")',
    "AGG": "<script>alert(1)</script> [bold]Phường[/bold] 9 & co",
}
PROCEDURE = ("1.000002", "Đăng ký\x1b[5m khai sinh\x0b (huyện)")  # in TP's late-dossier list
UNIT_ID = ("EMPTY", "E\x1b]0;x\x07")  # a unit without dossiers: its id reaches a warning
#: As every output shows them.
SHOWN_TP = "\\x1b[31mPhòng\\x00 Tư pháp\\x07"
SHOWN_PROCEDURE = "Đăng ký\\x1b[5m khai sinh\\x0b (huyện)"
SHOWN_ID = "E\\x1b]0;x\\x07"
ESCAPED_AGG = "&lt;script&gt;alert(1)&lt;/script&gt; [bold]Phường[/bold] 9 &amp; co"
#: A character that must never reach an output as it is.
RAW_CONTROL = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f]")

PERIOD = "2022Q1"
POPPLER = all(shutil.which(tool) for tool in ("pdftotext", "pdfinfo"))
needs_poppler = pytest.mark.skipif(not POPPLER, reason="poppler-utils not installed")


def hostile_data(folder: Path) -> Path:
    """The fixture with the hostile names; units.parquet rather than units.csv, since a CSV
    file holding a NUL byte is refused as not being text (Parquet strings carry it)."""
    data = kpi_fixture.write_folder(folder)
    units = pd.read_csv(data / "units.csv", dtype=str, keep_default_na=False)
    for unit_id, name in NAMES.items():
        units.loc[units["unit_id"] == unit_id, "name"] = name
    units.loc[units["unit_id"] == UNIT_ID[0], "unit_id"] = UNIT_ID[1]
    units.replace("", None).to_parquet(data / "units.parquet", index=False)
    (data / "units.csv").unlink()
    procedures = pd.read_csv(data / "procedures.csv", dtype=str, keep_default_na=False)
    procedures.loc[procedures["procedure_id"] == PROCEDURE[0], "name"] = PROCEDURE[1]
    procedures.to_csv(data / "procedures.csv", index=False)
    return data


def cli(*args: str) -> Any:
    return CliRunner().invoke(app, [*args, "--period", PERIOD],
                              env={"COLUMNS": "300", "LANG": "C.UTF-8"})


def tree(root: Path) -> dict[str, tuple[str, Any]]:
    """Everything under ``root`` without following links: path → (kind, bytes / link target)."""
    found: dict[str, tuple[str, Any]] = {}
    for folder, dirs, files in os.walk(root):
        for name in [*dirs, *files]:
            path = Path(folder) / name
            rel = str(path.relative_to(root))
            if path.is_symlink():
                found[rel] = ("link", os.readlink(path))
            elif path.is_dir():
                found[rel] = ("dir", None)
            else:
                found[rel] = ("file", path.read_bytes())
    return found


def links_under(root: Path) -> list[Path]:
    return [Path(folder) / name for folder, dirs, files in os.walk(root)
            for name in [*dirs, *files] if (Path(folder) / name).is_symlink()]


# ---------------------------------------------------------------------------- the one rule


def test_control_characters_are_shown_as_their_escape() -> None:
    assert visible("\x1b[31mPhòng\x00 Tư pháp\x07") == SHOWN_TP
    assert visible("a\rb\x7f\x85\x9b\ufffe") == "a\\x0db\\x7f\\x85\\x9b\\ufffe"
    assert visible("dòng 1\ndòng 2\tcột") == "dòng 1\ndòng 2\tcột"  # tab and line feed stay
    assert visible(SHOWN_TP) == SHOWN_TP  # nothing left to show: applying it twice is harmless


def test_bidirectional_overrides_are_shown_not_obeyed() -> None:
    # "Trojan source": an override would display "Phường 7" reordered, as another name
    assert visible("UBND \u202ePhường 7\u202c") == "UBND \\u202ePhường 7\\u202c"
    assert visible("a\u2066b\u2069") == "a\\u2066b\\u2069"
    assert visible("\u200eTP") == "\u200eTP"  # a mark only sets direction: left as it is


def test_every_output_applies_the_same_rule() -> None:
    name = NAMES["TP"]
    assert _text(name) == SHOWN_TP  # the terminal (its rich markup escaped too)
    assert neutral_text(name) == SHOWN_TP  # an annex cell
    assert csv_text(name) == SHOWN_TP  # a kpis.csv cell
    assert html_text(name) == SHOWN_TP  # the HTML blocks and the template's text
    assert wrap_name(name, 60) == SHOWN_TP  # a chart's label
    assert html_text(NAMES["AGG"]) == ESCAPED_AGG


@pytest.mark.parametrize(("text", "written"), [
    ('=HYPERLINK("http://x","y")', '\'=HYPERLINK("http://x","y")'),
    ("@SUM(1+1)*cmd|' /C calc'!A0", "'@SUM(1+1)*cmd|' /C calc'!A0"),
    ("+cmd", "'+cmd"), ("-2+3", "'-2+3"), ("\tx", "'\tx"),
    ("\r=1+1", "\\x0d=1+1"),  # a carriage return is shown, so it no longer leads
    ("-5", "-5"), ("+3.5", "+3.5"), ("-1e3", "-1e3"),  # numbers are no formulas
    ("#N/A", "#N/A"), ("007", "007"), ("Phòng Tư pháp", "Phòng Tư pháp"),
])
def test_csv_text_cells_never_start_a_formula(text: str, written: str) -> None:
    assert csv_text(text) == written
    assert not is_formula_like(written) or written.lstrip("+-")[:1].isdigit()


def test_kpis_csv_neutralises_text_and_keeps_numbers() -> None:
    ds = kpi_fixture.dataset()
    units = ds.units.copy()
    for unit_id, name in NAMES.items():
        units.loc[units["unit_id"] == unit_id, "name"] = name
    table = compute_kpis(dataclasses.replace(ds, units=units), parse_period(PERIOD, "calendar"))
    table.loc[table.index[0], "value"] = -3.5  # a negative number stays a number
    rows = list(csv.DictReader(io.StringIO(kpis_csv_text(table))))
    names = {r["unit_id"]: r["unit_name"] for r in rows}
    assert names["007"] == '\'=HYPERLINK("http://x","y")'
    assert names["TP"] == SHOWN_TP
    assert names["AGG"] == NAMES["AGG"]  # no markup in CSV: the text as it is
    assert rows[0]["value"] == "-3.5"
    for row in rows:
        for column in ("numerator", "denominator", "value", "target"):
            assert row[column] == "" or isinstance(float(row[column]), float)
        for column in ("unit_id", "unit_name", "period", "kpi", "status", "basis"):
            assert not RAW_CONTROL.search(row[column]) and not is_formula_like(row[column])


# ---------------------------------------------------------------------------- briefkit kpis


def plant(out: Path, outside: Path, how: str) -> None:
    """A link where ``briefkit kpis`` writes, pointing outside ``out``."""
    (outside / "dir").mkdir(parents=True)
    (outside / "kpis.csv").write_text("outside\n", encoding="utf-8")
    (outside / "dir" / "kpis.csv").write_text("outside\n", encoding="utf-8")
    (outside / "dir" / ".kpis.csv.1234.part").write_text("outside\n", encoding="utf-8")
    out.mkdir()
    if how == "period folder":
        (out / PERIOD).symlink_to(outside / "dir", target_is_directory=True)
        return
    (out / PERIOD).mkdir()
    target = {"file": outside / "kpis.csv", "missing file": outside / "new.csv",
              "folder": outside / "dir"}[how]
    (out / PERIOD / "kpis.csv").symlink_to(target)


@pytest.mark.parametrize("how", ["file", "missing file", "folder", "period folder"])
def test_kpis_never_writes_through_a_planted_link(tmp_path: Path, how: str) -> None:
    data = kpi_fixture.write_folder(tmp_path / "data")
    out, outside = tmp_path / "out", tmp_path / "outside"
    plant(out, outside, how)
    before = tree(outside)
    result = cli("kpis", "--data", str(data), "--out", str(out))
    assert result.exit_code == 0, result.output
    assert tree(outside) == before
    written = out / PERIOD / "kpis.csv"
    assert not written.is_symlink() and not (out / PERIOD).is_symlink()
    assert written.read_text(encoding="utf-8").startswith("unit_id,unit_name,")


def test_kpis_prints_and_writes_hostile_text_safely(tmp_path: Path) -> None:
    data = hostile_data(tmp_path / "data")
    result = cli("kpis", "--data", str(data), "--out", str(tmp_path / "out"))
    assert result.exit_code == 0, result.output
    assert not RAW_CONTROL.search(result.output)
    assert SHOWN_TP in result.output and SHOWN_ID in result.output
    text = (tmp_path / "out" / PERIOD / "kpis.csv").read_text(encoding="utf-8")
    assert not RAW_CONTROL.search(text)
    assert '"\'=HYPERLINK(""http://x"",""y"")"' in text and ',"=HYPERLINK' not in text


# ---------------------------------------------------------------------------- briefkit run


@pytest.fixture(scope="module")
def run(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """``briefkit run`` of every unit on hostile names, into a period folder where links to
    files and folders outside were planted (and one where the lock file goes)."""
    base = tmp_path_factory.mktemp("hostile-run")
    data = hostile_data(base / "data")
    out, outside = base / "out", base / "outside"
    (outside / "unit").mkdir(parents=True)
    (outside / "cache").mkdir()
    (outside / "kpis.csv").write_text("outside\n", encoding="utf-8")
    (outside / "manifest.json").write_text("{}\n", encoding="utf-8")
    (outside / "unit" / f"BC-TTHC_TP_{PERIOD}.pdf").write_text("outside\n", encoding="utf-8")
    folder = out / PERIOD
    folder.mkdir(parents=True)
    (folder / "kpis.csv").symlink_to(outside / "kpis.csv")
    (folder / "manifest.json").symlink_to(outside / "manifest.json")
    (folder / f"PL-TTHC_{PERIOD}.xlsx").symlink_to(outside / "new.xlsx")  # dangling
    (folder / "TP").symlink_to(outside / "unit", target_is_directory=True)
    (folder / ".briefkit").symlink_to(outside / "cache", target_is_directory=True)
    (out / f".briefkit-{PERIOD}.lock").symlink_to(outside / "lock")  # dangling
    before = tree(outside)
    result = cli("run", "--data", str(data), "--out", str(out), "--workers", "0",
                 "--no-progress")
    return {"result": result, "folder": folder, "out": out, "outside": outside,
            "before": before}


def doc(run: dict[str, Any], unit: str | None, ext: str) -> Path:
    if unit is None:
        return run["folder"] / f"BC-TTHC_tong-hop_{PERIOD}.{ext}"
    slug = unit_slug(unit)
    return run["folder"] / slug / f"BC-TTHC_{slug}_{PERIOD}.{ext}"


def svgs(html: str) -> list[str]:
    return [base64.b64decode(m).decode("utf-8") for m in
            re.findall(r"data:image/svg\+xml;base64,([A-Za-z0-9+/=]+)", html)]


def test_run_of_hostile_names_succeeds(run: dict[str, Any]) -> None:
    result = run["result"]
    assert result.exit_code == 0, result.output
    manifest = json.loads((run["folder"] / "manifest.json").read_text(encoding="utf-8"))
    assert [u["status"] for u in manifest["units"]] == ["ok"] * 4
    assert {s["status"] for s in manifest["steps"].values()} == {"ok"}
    assert not RAW_CONTROL.search(result.output)
    assert SHOWN_TP in result.output and SHOWN_ID in result.output


def test_run_writes_nothing_outside_the_out_folder(run: dict[str, Any]) -> None:
    assert tree(run["outside"]) == run["before"]
    assert not (run["outside"] / "lock").exists() and not (run["outside"] / "new.xlsx").exists()
    assert links_under(run["out"]) == []  # the planted links are gone, their targets kept
    assert (run["folder"] / "kpis.csv").read_text(encoding="utf-8").startswith("unit_id,")
    assert doc(run, "TP", "pdf").read_bytes().startswith(b"%PDF")


def test_html_shows_control_characters_and_escapes_markup(run: dict[str, Any]) -> None:
    for unit in (*NAMES, UNIT_ID[1], None):
        html = doc(run, unit, "html").read_text(encoding="utf-8")
        assert not RAW_CONTROL.search(html), unit
        assert "<script" not in html, unit  # a briefing has no script at all
        for svg in svgs(html):
            assert not RAW_CONTROL.search(svg) and "<script" not in svg, unit
    unit_html = doc(run, "TP", "html").read_text(encoding="utf-8")
    assert SHOWN_TP in unit_html and SHOWN_PROCEDURE in unit_html
    # the template's own text (title, metadata) goes through the rule too: the PDF's metadata
    assert f"– {SHOWN_TP}</title>" in unit_html
    assert f'<meta name="briefkit.unit-id" content="{SHOWN_ID}">' in \
        doc(run, UNIT_ID[1], "html").read_text(encoding="utf-8")
    assert any(SHOWN_TP in svg for svg in svgs(unit_html))  # the charts' titles
    overview = doc(run, None, "html").read_text(encoding="utf-8")
    assert SHOWN_TP in overview and ESCAPED_AGG in overview
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in "".join(svgs(overview))  # the heat map
    agg = doc(run, "AGG", "html").read_text(encoding="utf-8")
    assert "<title>Kết quả" in agg and f"– {ESCAPED_AGG}</title>" in agg
    assert SHOWN_ID in doc(run, UNIT_ID[1], "html").read_text(encoding="utf-8")


def test_notebooks_show_no_control_character(run: dict[str, Any]) -> None:
    for unit in (*NAMES, None):
        notebook = json.loads(doc(run, unit, "ipynb").read_text(encoding="utf-8"))
        for cell in notebook["cells"]:
            for output in cell.get("outputs", []):
                assert output.get("output_type") != "error", unit
                for mimetype, value in output.get("data", {}).items():
                    text = (json.dumps(value, ensure_ascii=False)
                            if mimetype == DOCUMENT_INFO_MIMETYPE else
                            "".join(value) if isinstance(value, list) else str(value))
                    assert not RAW_CONTROL.search(text), (unit, mimetype)
                    assert "\\u001b" not in text, (unit, mimetype)  # nor escaped in JSON


@needs_poppler
def test_pdf_text_and_metadata_show_control_characters(run: dict[str, Any]) -> None:
    pdf = doc(run, "TP", "pdf")
    text = subprocess.run(["pdftotext", str(pdf), "-"], check=True, capture_output=True,
                          text=True).stdout
    info = subprocess.run(["pdfinfo", str(pdf)], check=True, capture_output=True,
                          text=True).stdout
    assert SHOWN_TP in text and not RAW_CONTROL.search(text.replace("\f", ""))
    assert SHOWN_TP in info and not RAW_CONTROL.search(info)


def test_annex_and_kpis_csv_agree_on_hostile_text(run: dict[str, Any]) -> None:
    book = openpyxl.load_workbook(run["folder"] / f"PL-TTHC_{PERIOD}.xlsx")
    cells = [c for ws in book for row in ws.iter_rows() for c in row if isinstance(c.value, str)]
    assert not any(RAW_CONTROL.search(c.value) for c in cells)
    shown = [c for c in cells if c.value == SHOWN_TP]
    formula = [c for c in cells if c.value == NAMES["007"]]
    assert len(shown) >= 3 and len(formula) >= 3  # Biểu 06, Chỉ tiêu, the data sheet
    assert all(c.data_type == "s" and c.quotePrefix for c in formula)
    with (run["folder"] / "kpis.csv").open(encoding="utf-8", newline="") as handle:
        rows = list(csv.DictReader(handle))
    names = {r["unit_id"]: r["unit_name"] for r in rows}
    assert names["TP"] == SHOWN_TP and names[SHOWN_ID] == "Phòng Nội vụ"
    assert names["007"] == "'" + NAMES["007"] and names["AGG"] == NAMES["AGG"]


def test_run_replaces_a_period_folder_that_is_a_link(tmp_path: Path) -> None:
    """The period folder itself a link: the run neither copies from, sweeps, nor writes into
    its target; the link is replaced by the new folder and nothing of it is left behind."""
    data = kpi_fixture.write_folder(tmp_path / "data")
    out, outside = tmp_path / "out", tmp_path / "outside"
    (outside / "TP").mkdir(parents=True)
    (outside / "kpis.csv").write_text("outside\n", encoding="utf-8")
    (outside / ".kpis.csv.1234.part").write_text("outside\n", encoding="utf-8")  # "debris"
    (outside / "TP" / f"BC-TTHC_TP_{PERIOD}.pdf").write_text("outside\n", encoding="utf-8")
    out.mkdir()
    (out / PERIOD).symlink_to(outside, target_is_directory=True)
    before = tree(outside)
    result = cli("run", "--data", str(data), "--out", str(out), "--units", "TP",
                 "--workers", "0", "--no-progress")
    assert result.exit_code == 0, result.output
    assert tree(outside) == before
    assert links_under(out) == []
    assert sorted(p.name for p in out.iterdir()) == [f".briefkit-{PERIOD}.lock", PERIOD]
    assert (out / PERIOD / "TP" / f"BC-TTHC_TP_{PERIOD}.pdf").read_bytes().startswith(b"%PDF")
