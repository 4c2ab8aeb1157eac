"""The real notebooks, end to end: `briefkit run` on the hand-built district, then the
outputs read back the way a user (and poppler, and openpyxl) would see them."""

from __future__ import annotations

import csv
import io
import re
import shutil
import subprocess
from pathlib import Path
from typing import Any

import openpyxl
import pytest
from typer.testing import CliRunner

from briefkit.cli import app
from briefkit.manifest import verify_manifest
from tests import kpi_fixture


def doc(unit: str, ext: str, period: str = "2022Q1") -> str:
    """A unit briefing's file name under the default settings (BC-TTHC_<slug>_<period>)."""
    from briefkit.batch import unit_slug

    return f"BC-TTHC_{unit_slug(unit)}_{period}.{ext}"


OVERVIEW = "BC-TTHC_tong-hop_2022Q1"  # the overview's files: OVERVIEW + ".pdf" …
ANNEX = "PL-TTHC_2022Q1.xlsx"

ROOT = Path(__file__).resolve().parents[1]
POPPLER = all(shutil.which(tool) for tool in ("pdftotext", "pdfinfo", "pdffonts"))
needs_poppler = pytest.mark.skipif(not POPPLER, reason="poppler-utils not installed "
                                   "(scripts/system-deps.sh installs it)")

TARGETS = """\
2022:
  online_rate: 0.6
  on_time_rate: {min: 0.98}
  pending_overdue: {max: 0}
"""
HEADER = """\
parent_body: "ỦY BAN NHÂN DÂN QUẬN 6"
issuing_body: "VĂN PHÒNG HĐND VÀ UBND"
number: "125/BC-VP"
place: "Quận 6"
date: 2022-04-20
"""


@pytest.fixture(scope="module")
def run(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    base = tmp_path_factory.mktemp("briefings")
    data = kpi_fixture.write_folder(base / "data")
    (base / "targets.yaml").write_text(TARGETS, encoding="utf-8")
    (base / "header.yaml").write_text(HEADER, encoding="utf-8")
    out = base / "out"
    result = CliRunner().invoke(app, [
        "run", "--data", str(data), "--period", "2022Q1", "--targets",
        str(base / "targets.yaml"), "--header", str(base / "header.yaml"), "--units",
        "TP,007", "--notebooks", str(ROOT / "notebooks"), "--out", str(out), "--no-progress"])
    return {"result": result, "folder": out / "2022Q1"}


def pdf_text(path: Path, first: int | None = None, last: int | None = None) -> str:
    pages = [*(["-f", str(first)] if first else []), *(["-l", str(last)] if last else [])]
    done = subprocess.run(["pdftotext", "-layout", *pages, str(path), "-"], check=True,
                          capture_output=True, text=True)
    return " ".join(done.stdout.split())  # one line: sentences wrap across lines in a PDF


def test_run_succeeds_for_every_unit(run: dict[str, Any]) -> None:
    result = run["result"]
    assert result.exit_code == 0, result.output
    folder = run["folder"]
    for unit in ("TP", "007"):
        for name in (doc(unit, "ipynb"), doc(unit, "html"), doc(unit, "pdf")):
            assert (folder / unit / name).stat().st_size > 0
    for name in (f"{OVERVIEW}.ipynb", f"{OVERVIEW}.html", f"{OVERVIEW}.pdf", ANNEX, "kpis.csv",
                 "manifest.json"):
        assert (folder / name).stat().st_size > 0


@needs_poppler
def test_unit_pdf_is_an_official_a4_document(run: dict[str, Any]) -> None:
    pdf = run["folder"] / "TP" / doc("TP", "pdf")
    info = subprocess.run(["pdfinfo", str(pdf)], check=True, capture_output=True,
                          text=True).stdout
    assert re.search(r"Page size:\s+595\.2\d* x 841\.8\d* pts \(A4\)", info), info
    fonts = subprocess.run(["pdffonts", str(pdf)], check=True, capture_output=True,
                           text=True).stdout.splitlines()[2:]
    assert fonts, "no font in the PDF"
    assert all(" yes " in line.split("  ", 1)[1] for line in fonts), fonts  # all embedded
    assert any(re.search(r"Tinos|LiberationSerif|TimesNewRoman", line) for line in fonts)

    text = pdf_text(pdf)
    for expected in ("CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM", "Độc lập - Tự do - Hạnh phúc",
                     "ỦY BAN NHÂN DÂN QUẬN 6", "Số: 125/BC-VP",
                     "Quận 6, ngày 20 tháng 4 năm 2022", "Phòng Tư pháp", "quý I/2022"):
        assert expected in text, expected
    # the directive sentence, with the figures written the Vietnamese way
    assert ("tỷ lệ hồ sơ được xử lý trực tuyến trên tổng số hồ sơ được giải quyết đạt 50,00% "
            "(3/6 hồ sơ), chưa đạt chỉ tiêu năm 2022 là 60,00% (thấp hơn 10,00 điểm phần trăm)"
            in text)
    # the late dossier without an apology letter (D4: due 10/03, resolved 15/03)
    assert "D4" in text and "10/03/2022" in text and "15/03/2022" in text
    # recommendations driven by the gaps
    assert "Đẩy mạnh tuyên truyền, hướng dẫn tổ chức, cá nhân nộp hồ sơ trực tuyến" in text


@needs_poppler
def test_page_numbers_from_page_two(run: dict[str, Any]) -> None:
    pdf = run["folder"] / f"{OVERVIEW}.pdf"
    info = subprocess.run(["pdfinfo", str(pdf)], check=True, capture_output=True,
                          text=True).stdout
    pages = int(re.search(r"Pages:\s+(\d+)", info).group(1))
    assert pages >= 2
    first = subprocess.run(["pdftotext", "-f", "1", "-l", "1", str(pdf), "-"], check=True,
                           capture_output=True, text=True).stdout
    second = subprocess.run(["pdftotext", "-f", "2", "-l", "2", str(pdf), "-"], check=True,
                            capture_output=True, text=True).stdout
    assert first.split()[0] != "1"
    assert second.split()[0] == "2"


@needs_poppler
def test_overview_names_units_below_target_and_carries_bieu06(run: dict[str, Any]) -> None:
    text = pdf_text(run["folder"] / f"{OVERVIEW}.pdf")
    # online_rate target 60 %: TP (50,00 %) and 007 (50,00 %) miss it, AGG (69,23 %) meets it
    assert "Phòng Tư pháp (50,00%, thấp hơn 10,00 điểm phần trăm)" in text
    assert "UBND Phường 7 (50,00%, thấp hơn 10,00 điểm phần trăm)" in text
    assert "Biểu số 06/VPCP/KSTT" in text
    assert "Tổng cộng" in text


def test_html_stands_alone_without_code(run: dict[str, Any]) -> None:
    for path in (run["folder"] / "TP" / doc("TP", "html"), run["folder"] / f"{OVERVIEW}.html"):
        html = path.read_text(encoding="utf-8")
        assert "briefing.prepare" not in html and "import " not in html
        assert "data_dir =" not in html  # the parameters cell is gone too
        assert not re.search(r"""(?:src|href)\s*=\s*["']https?://""", html)
        assert "<script" not in html
        assert "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM" in html
        assert 'src="data:image/svg+xml;base64,' in html  # charts embedded


def test_executed_notebook_keeps_unit_id_text(run: dict[str, Any]) -> None:
    notebook = (run["folder"] / "007" / doc("007", "ipynb")).read_text(encoding="utf-8")
    assert 'unit_id = \\"007\\"' in notebook


def test_annex_matches_kpis_csv(run: dict[str, Any]) -> None:
    folder = run["folder"]
    with (folder / "kpis.csv").open(encoding="utf-8", newline="") as handle:
        csv_rows = list(csv.reader(handle))
    workbook = openpyxl.load_workbook(folder / ANNEX)
    sheet = workbook["KPI (dữ liệu)"]
    sheet_rows = [["" if v is None else v for v in row] for row in
                  sheet.iter_rows(values_only=True)]
    assert sheet_rows[0] == csv_rows[0]
    assert len(sheet_rows) == len(csv_rows)
    for csv_row, sheet_row in zip(csv_rows[1:], sheet_rows[1:], strict=True):
        for text, cell in zip(csv_row, sheet_row, strict=True):
            if isinstance(cell, float | int) and not isinstance(cell, bool):
                assert float(text) == pytest.approx(cell, rel=1e-12), (csv_row, sheet_row)
            else:
                assert text == str(cell), (csv_row, sheet_row)
    bieu = workbook["Biểu 06"]
    values = [c for row in bieu.iter_rows(values_only=True) for c in row]
    assert "Phòng Tư pháp" in values and "Tổng cộng" in values


def test_manifest_verifies(run: dict[str, Any]) -> None:
    folder = run["folder"]
    assert verify_manifest(folder / "manifest.json") == []
    manifest = (folder / "manifest.json").read_text(encoding="utf-8")
    for name in (f"TP/{doc('TP', 'pdf')}", f"007/{doc('007', 'html')}", ANNEX, "kpis.csv"):
        assert name in manifest


def test_kpis_csv_reads_back(run: dict[str, Any]) -> None:
    text = (run["folder"] / "kpis.csv").read_text(encoding="utf-8")
    rows = list(csv.DictReader(io.StringIO(text)))
    tp = {r["kpi"]: r for r in rows if r["unit_id"] == "TP"}
    assert (tp["online_rate"]["value"], tp["online_rate"]["target"],
            tp["online_rate"]["status"]) == ("0.5", "0.6", "chua_dat")


def test_notebook_blocks_carry_their_style_and_the_documents_do_not(run: dict[str, Any]) -> None:
    """In the executed notebook (what JupyterLab shows) every HTML block carries briefing.css
    scoped to it (briefkit.blocks); the HTML and PDF made from it carry the stylesheet once."""
    import json

    from briefkit import blocks

    folder = run["folder"]
    for notebook, html in ((folder / "TP" / doc("TP", "ipynb"), folder / "TP" / doc("TP", "html")),
                           (folder / f"{OVERVIEW}.ipynb", folder / f"{OVERVIEW}.html")):
        cells = json.loads(notebook.read_text(encoding="utf-8"))["cells"]
        shown = ["".join(o["data"]["text/html"]) for c in cells if c["cell_type"] == "code"
                 for o in c["outputs"] if "text/html" in o.get("data", {})]
        assert len(shown) >= 5
        assert all(blocks.unwrap(h) is not None for h in shown), notebook.name
        text = html.read_text(encoding="utf-8")
        assert 'class="bk-doc"' not in text and 'data-briefkit="notebook"' not in text
        assert text.count('<style type="text/css">') == 1
