"""Same inputs, same bytes: a briefing's HTML and PDF and the Excel annex, produced in two
separate Python processes that differ in everything that must not matter (hash seed, time
zone, a ``SOURCE_DATE_EPOCH`` left in the environment, the moment they run), are
byte-identical; and every time embedded in them is the document's date at 00:00 Vietnamese
time, never the second they were written.

Both processes run the same script (``WORKER``) on inputs the test writes once: an executed
briefing notebook (crafted outputs, a chart of :mod:`briefkit.charts` with Vietnamese text)
and a KPI table with its provenance. Each writes its files to a folder of its own.
"""

from __future__ import annotations

import datetime as dt
import io
import os
import pickle
import re
import shutil
import subprocess
import sys
import zlib
from pathlib import Path

import nbformat
import pytest
from fontTools.misc import timeTools
from fontTools.ttLib import TTFont
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook, new_output

from briefkit import charts, clock, render, report
from briefkit.annex import write_annex
from briefkit.kpis import compute_kpis
from briefkit.periods import parse_period
from tests import kpi_fixture

DAY = dt.date(2026, 11, 30)
STAMP = clock.document_timestamp(DAY)  # 2026-11-30T00:00:00+07:00
HEADER = {"issuing_body": "Văn phòng HĐND và UBND", "number": "125/BC-VP",
          "place": "Quận 6", "date": DAY}
CHART_TITLE = "Tỷ lệ xử lý trực tuyến – Phòng Tư pháp"
CHART_TEXT = "Không phát sinh hồ sơ"
PERIOD = parse_period("2022Q1")
PROVENANCE = {"period": "quý I/2022", "convention": "calendar", "data_sha256": "ab" * 32,
              "generated_at": STAMP}

POPPLER = ("pdfinfo", "pdffonts", "pdftotext")
needs_poppler = pytest.mark.skipif(
    any(shutil.which(tool) is None for tool in POPPLER),
    reason="poppler-utils (pdfinfo, pdffonts, pdftotext) not installed")

#: What each process runs: argv = inputs folder, output folder.
WORKER = """
import pickle, sys
from pathlib import Path
import nbformat
import weasyprint.pdf.fonts
from briefkit import render
from briefkit.annex import write_annex
from briefkit.periods import parse_period

inputs, out = Path(sys.argv[1]), Path(sys.argv[2])
dated = nbformat.read(inputs / "dated.ipynb", as_version=4)
undated = nbformat.read(inputs / "undated.ipynb", as_version=4)
html, pdf = render.render_documents(dated, name="briefing")
(out / "briefing.html").write_text(html, encoding="utf-8")
(out / "briefing.pdf").write_bytes(pdf)
render.render_notebook(inputs / "dated.ipynb", out / "file.html", out / "file.pdf")
table, provenance = pickle.loads((inputs / "annex.pickle").read_bytes())
write_annex(out / "annex.xlsx", table, parse_period("2022Q1"), provenance)
# without HarfBuzz's subsetter WeasyPrint subsets with fontTools, which stamps each font
weasyprint.pdf.fonts.harfbuzz_subset = None
(out / "fonttools.pdf").write_bytes(render.render_documents(dated, name="briefing")[1])
(out / "undated.pdf").write_bytes(render.render_documents(undated, name="briefing")[1])
"""

#: The two processes: nothing in here may change the files.
ENVIRONMENTS = (
    {"PYTHONHASHSEED": "1", "TZ": "UTC"},
    {"PYTHONHASHSEED": "2", "TZ": "America/New_York", clock.SOURCE_DATE_EPOCH: "2000000000"},
)
OUTPUTS = ("briefing.html", "briefing.pdf", "file.html", "file.pdf", "annex.xlsx",
           "fonttools.pdf", "undated.pdf")


def html_output(fragment: str) -> nbformat.NotebookNode:
    return new_output("display_data", data={"text/html": fragment, "text/plain": "<HTML>"})


def briefing_notebook() -> nbformat.NotebookNode:
    svg = charts.figure_svg(charts.message_figure(CHART_TEXT, CHART_TITLE))
    return new_notebook(cells=[
        new_code_cell("header", outputs=[html_output(report.header_html(HEADER))]),
        new_code_cell("title", outputs=[html_output(report.title_html(
            "Báo cáo", "Kết quả giải quyết thủ tục hành chính quý I/2022"))]),
        new_markdown_cell("## I. Kết quả\n\nCác chữ: ắ ặ ẫ ỹ ữ ự Ư Đ."),
        new_code_cell("chart", outputs=[new_output(
            "display_data", data={"image/svg+xml": svg, "text/plain": "<Figure>"})]),
        new_code_cell("provenance", outputs=[html_output(report.provenance_html(PROVENANCE))]),
    ], metadata={"kernelspec": {"name": "python3", "display_name": "Python 3",
                                "language": "python"}})


@pytest.fixture(scope="module")
def runs(tmp_path_factory: pytest.TempPathFactory) -> list[dict[str, bytes]]:
    """The files of the two processes, by name."""
    inputs = tmp_path_factory.mktemp("inputs")
    nb = briefing_notebook()
    nbformat.write(nb, inputs / "undated.ipynb")
    nbformat.write(render.set_document_metadata(nb, created=STAMP), inputs / "dated.ipynb")
    table = compute_kpis(kpi_fixture.dataset(), PERIOD)
    (inputs / "annex.pickle").write_bytes(pickle.dumps((table, PROVENANCE)))
    env = {k: v for k, v in os.environ.items() if k != clock.SOURCE_DATE_EPOCH}
    runs = []
    for extra in ENVIRONMENTS:  # side by side: separate processes, whenever each one runs
        out = tmp_path_factory.mktemp("out")
        runs.append((out, subprocess.Popen(
            [sys.executable, "-c", WORKER, str(inputs), str(out)], env={**env, **extra},
            cwd=out, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)))
    results = []
    for out, process in runs:
        _, errors = process.communicate()
        assert process.returncode == 0, errors
        results.append({name: (out / name).read_bytes() for name in OUTPUTS})
    return results


@pytest.mark.parametrize("name", OUTPUTS)
def test_two_processes_write_the_same_bytes(runs: list[dict[str, bytes]], name: str) -> None:
    first, second = (run[name] for run in runs)
    assert first == second, name


def test_html_is_the_same_whichever_function_renders(runs: list[dict[str, bytes]]) -> None:
    files = runs[0]
    assert files["briefing.html"] == files["file.html"]  # render_documents = render_notebook
    assert files["briefing.pdf"] == files["file.pdf"]
    html = files["briefing.html"].decode("utf-8")
    assert '<style type="text/css">' in html  # standalone: the stylesheet is inlined
    assert '<meta name="dcterms.created" content="2026-11-30T00:00:00+07:00">' in html
    assert "tạo ngày 30/11/2026" in html


def _info(pdf: bytes, tmp_path: Path, *options: str) -> str:
    path = tmp_path / "x.pdf"
    path.write_bytes(pdf)
    return subprocess.run(["pdfinfo", *options, str(path)], check=True, capture_output=True,
                          text=True).stdout


@needs_poppler
def test_pdf_dates_are_the_document_timestamp(runs: list[dict[str, bytes]],
                                              tmp_path: Path) -> None:
    pdf = runs[0]["briefing.pdf"]
    info = _info(pdf, tmp_path, "-isodates")
    assert re.search(r"^CreationDate:\s+2026-11-30T00:00:00\+07(:?00)?$", info, re.M), info
    assert "ModDate" not in info
    assert b"/ID" not in pdf  # no file identifier (it would be a hash of a random or a time)
    undated = _info(runs[0]["undated.pdf"], tmp_path)
    assert "CreationDate" not in undated  # no date rather than the clock


def _font_files(pdf: bytes) -> list[TTFont]:
    """The embedded TrueType fonts of a PDF written by WeasyPrint: the streams with a
    ``/Length1`` (the length of a font program; the font descriptors that point to them are
    in compressed object streams, but a stream is never inside another)."""
    fonts = []
    for match in re.finditer(rb"\d+ 0 obj\s*<<([^>]*/Length1 \d+[^>]*)>>\s*stream\r?\n", pdf):
        length = int(re.search(rb"/Length (\d+)", match.group(1)).group(1))
        data = pdf[match.end():match.end() + length]
        if b"/FlateDecode" in match.group(1):
            data = zlib.decompress(data)
        fonts.append(TTFont(io.BytesIO(data)))
    return fonts


def test_fonttools_subsets_carry_the_document_date(runs: list[dict[str, bytes]]) -> None:
    fonts = _font_files(runs[0]["fonttools.pdf"])
    assert fonts
    for font in fonts:
        assert font["head"].modified == timeTools.timestampSinceEpoch(
            clock.document_epoch(DAY))
    for font in _font_files(runs[0]["undated.pdf"]):
        assert font["head"].modified == timeTools.timestampSinceEpoch(0)  # fixed, not now


@needs_poppler
def test_fonts_are_embedded_and_the_chart_text_is_text(runs: list[dict[str, bytes]],
                                                      tmp_path: Path) -> None:
    path = tmp_path / "b.pdf"
    path.write_bytes(runs[0]["briefing.pdf"])
    rows = subprocess.run(["pdffonts", str(path)], check=True, capture_output=True,
                          text=True).stdout.splitlines()[2:]
    assert rows and all(row.split()[-5] == "yes" for row in rows)  # embedded
    # the chart's labels are drawn with the document's serif: no other font is embedded
    assert all(re.search(r"\+(LiberationSerif|Tinos|TimesNewRoman)", row) for row in rows)
    text = " ".join(subprocess.run(["pdftotext", "-enc", "UTF-8", str(path), "-"], check=True,
                                   capture_output=True, text=True).stdout.split())
    assert CHART_TITLE in text and CHART_TEXT in text  # Vietnamese, from the SVG chart


def test_font_epoch() -> None:
    epoch = clock.document_epoch(DAY)
    assert render.font_epoch(STAMP.isoformat()) == epoch
    assert render.font_epoch("2026-11-30") == epoch  # a date: its 00:00 in Vietnam
    assert render.font_epoch("2026-11-30T00:00:00") == epoch  # naive: Vietnamese time
    assert render.font_epoch("2026-11-29T17:00:00Z") == epoch
    assert render.font_epoch(None) == render.font_epoch("") == 0
    assert render.font_epoch("30/11/2026") == 0  # unreadable: no date, as in the PDF


def test_source_date_epoch_is_restored(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(clock.SOURCE_DATE_EPOCH, "123")
    with render.source_date_epoch(456):
        assert os.environ[clock.SOURCE_DATE_EPOCH] == "456"
    assert os.environ[clock.SOURCE_DATE_EPOCH] == "123"
    monkeypatch.delenv(clock.SOURCE_DATE_EPOCH)
    with pytest.raises(RuntimeError), render.source_date_epoch(456):
        raise RuntimeError
    assert clock.SOURCE_DATE_EPOCH not in os.environ


def test_annex_properties_are_the_document_timestamp(runs: list[dict[str, bytes]],
                                                     tmp_path: Path) -> None:
    import zipfile

    path = tmp_path / "annex.xlsx"
    path.write_bytes(runs[0]["annex.xlsx"])
    with zipfile.ZipFile(path) as archive:
        core = archive.read("docProps/core.xml").decode("utf-8")
        assert {i.date_time for i in archive.infolist()} == {(2026, 11, 30, 0, 0, 0)}
    stamps = re.findall(r"<dcterms:(created|modified)[^>]*>([^<]*)<", core)
    assert stamps == [("created", "2026-11-29T17:00:00Z"), ("modified", "2026-11-29T17:00:00Z")]
    # same bytes as this process writes: nothing of the process goes into the file
    table = compute_kpis(kpi_fixture.dataset(), PERIOD)
    here = write_annex(tmp_path / "here.xlsx", table, PERIOD, PROVENANCE)
    assert here.read_bytes() == runs[0]["annex.xlsx"]
