"""The rendering pipeline: a small notebook built here (outputs crafted, not executed) through
the briefing exporters, checked as HTML and, with poppler's tools, as PDF."""

from __future__ import annotations

import base64
import re
import shutil
import subprocess
import sys
import time
import zlib
from pathlib import Path

import nbformat
import pandas as pd
import pytest
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook, new_output
from traitlets.config import Config

from briefkit import render, report
from briefkit.formatting import format_percent

POPPLER = ("pdfinfo", "pdffonts", "pdftotext")
needs_poppler = pytest.mark.skipif(
    any(shutil.which(tool) is None for tool in POPPLER),
    reason="poppler-utils (pdfinfo, pdffonts, pdftotext) not installed; "
           "apt-get install poppler-utils to check the PDFs")

DIACRITICS = "ắ ặ ẫ ỹ ữ ự Ư Đ"
RATE = format_percent(0.8018)  # "80,18%"
SENTENCE = (f"Trong quý I/2022, tỷ lệ hồ sơ được xử lý trực tuyến trên tổng số hồ sơ được giải "
            f"quyết đạt {RATE}, chưa đạt chỉ tiêu năm 2022.")
TITLE = "Kết quả giải quyết thủ tục hành chính quý I/2022"
LOG_LINE = "đang nạp dữ liệu: 42 dòng"
SECRET = "KHÔNG ĐƯỢC HIỆN"
HEADER = {"parent_body": "Ủy ban nhân dân Quận 6", "issuing_body": "Văn phòng HĐND và UBND",
          "number": "125/BC-VP", "place": "Quận 6", "date": "2022-05-20"}


def _png(width: int = 40, height: int = 20) -> str:
    """A tiny valid RGB PNG, base64 (no imaging library needed)."""
    def chunk(kind: bytes, data: bytes) -> bytes:
        body = kind + data
        return len(data).to_bytes(4, "big") + body + zlib.crc32(body).to_bytes(4, "big")
    rows = b"".join(b"\x00" + bytes([30, 90, 160]) * width for _ in range(height))
    png = (b"\x89PNG\r\n\x1a\n"
           + chunk(b"IHDR", width.to_bytes(4, "big") + height.to_bytes(4, "big")
                   + bytes([8, 2, 0, 0, 0]))
           + chunk(b"IDAT", zlib.compress(rows)) + chunk(b"IEND", b""))
    return base64.b64encode(png).decode("ascii")


SVG = ('<?xml version="1.0" encoding="utf-8" standalone="no"?>\n'
       '<!DOCTYPE svg PUBLIC "-//W3C//DTD SVG 1.1//EN"\n'
       '  "http://www.w3.org/Graphics/SVG/1.1/DTD/svg11.dtd">\n'
       '<svg xmlns="http://www.w3.org/2000/svg" width="200pt" height="100pt" '
       'viewBox="0 0 200 100"><rect x="10" y="10" width="120" height="60" fill="#1f77b4"/>'
       "</svg>\n")


def html_output(fragment: str) -> nbformat.NotebookNode:
    return new_output("display_data", data={"text/html": fragment,
                                            "text/plain": "<IPython.core.display.HTML>"})


def briefing_notebook(extra: list | None = None) -> nbformat.NotebookNode:
    cells = [
        new_code_cell("unit_id = 'TP'", metadata={"tags": ["parameters"]}),
        new_code_cell("print('nạp')", execution_count=2,
                      outputs=[new_output("stream", name="stdout", text=LOG_LINE + "\n"),
                               new_output("stream", name="stderr", text="UserWarning: x\n")]),
        new_code_cell("display(HTML(report.header_html(header)))", execution_count=3,
                      outputs=[html_output(report.header_html(HEADER))]),
        new_code_cell("display(HTML(report.title_html('Báo cáo', title)))",
                      outputs=[html_output(report.title_html("Báo cáo", TITLE))]),
        new_markdown_cell(f"## I. Kết quả\n\n{SENTENCE} Các chữ: {DIACRITICS}."),
        new_code_cell("fig_png", execution_count=5, outputs=[new_output(
            "display_data", data={"image/png": _png(), "text/plain": "<Figure>"})]),
        new_code_cell("fig_svg", outputs=[new_output(
            "execute_result", execution_count=6,
            data={"image/svg+xml": SVG, "text/plain": "<Figure>"})]),
        new_code_cell("hidden", metadata={"tags": ["remove"]},
                      outputs=[html_output(f"<p>{SECRET}</p>")]),
        *(extra or []),
    ]
    return new_notebook(cells=cells, metadata={
        "kernelspec": {"name": "python3", "display_name": "Python 3", "language": "python"},
        "language_info": {"name": "python"}})


@pytest.fixture(scope="module")
def notebook() -> nbformat.NotebookNode:
    return briefing_notebook()


@pytest.fixture(scope="module")
def html(notebook: nbformat.NotebookNode) -> str:
    text, _ = render.BriefingHTMLExporter().from_notebook_node(notebook)
    return text


@pytest.fixture(scope="module")
def pdf_path(tmp_path_factory: pytest.TempPathFactory, html: str) -> Path:
    path = tmp_path_factory.mktemp("pdf") / "briefing.pdf"
    path.write_bytes(render.html_to_pdf(html))
    return path


def run(*args: str | Path) -> str:
    return subprocess.run([str(a) for a in args], check=True, capture_output=True,
                          text=True).stdout


# --------------------------------------------------------------------------- HTML


def test_html_has_no_code_prompts_or_logs(html: str) -> None:
    for fragment in ("unit_id = 'TP'", "print(", "display(HTML", "fig_png", "In&nbsp;[",
                     "Out[", LOG_LINE, "UserWarning", SECRET, "<IPython.core"):
        assert fragment not in html
    assert "<script" not in html.lower()


def test_html_is_offline(html: str) -> None:
    assert not re.search(r"""(?:src|href)\s*=\s*["']?\s*(?:https?:)?//""", html, re.I)
    assert not re.search(r"""url\(\s*["']?\s*(?:https?:)?//""", html, re.I)
    assert "@import" not in html and "@font-face" not in html
    # the SVG's DOCTYPE (which names a W3C URL) is stripped; namespaces are text, not loads
    assert "<!DOCTYPE svg" not in html and "<?xml" not in html


def test_html_document_shell(html: str) -> None:
    assert html.startswith("<!DOCTYPE html>\n<html lang=\"vi\">")
    assert '<meta charset="utf-8">' in html
    assert f"<title>{TITLE}</title>" in html
    style = re.search(r"<style[^>]*>(.*?)</style>", html, re.S)
    assert style and "@page" in style.group(1) and "size: A4" in style.group(1)
    assert '<main class="bk-document">' in html


def test_html_embeds_images(html: str) -> None:
    assert f'src="data:image/png;base64,{_png()}"' in html
    found = re.search(r'<div class="bk-figure bk-svg">\s*<img src="data:image/svg\+xml;base64,'
                      r'([A-Za-z0-9+/=]+)"', html)
    assert found, "the SVG is embedded as an image"
    svg = base64.b64decode(found.group(1)).decode("utf-8")
    assert svg.startswith('<svg xmlns="http://www.w3.org/2000/svg"')  # no DOCTYPE
    assert 'viewBox="0 0 200 100"' in svg  # the document as the notebook holds it
    assert 'alt="Biểu đồ"' in html


def test_html_renders_outputs_and_markdown(html: str) -> None:
    assert '<table class="bk-header">' in html  # text/html output as HTML, not escaped
    assert "&lt;table" not in html
    assert re.search(r"<h2[^>]*>I. Kết quả</h2>", html)
    assert SENTENCE in html and DIACRITICS in html
    assert "¶" not in html  # no anchor links


def test_preprocessors_are_configurable(notebook: nbformat.NotebookNode) -> None:
    config = Config({"DropStreamsPreprocessor": {"enabled": False}})
    text, _ = render.BriefingHTMLExporter(config=config).from_notebook_node(notebook)
    assert LOG_LINE in text
    config = Config({"TagRemovePreprocessor": {"remove_cell_tags": ["parameters"]}})
    text, _ = render.BriefingHTMLExporter(config=config).from_notebook_node(notebook)
    assert SECRET in text


def test_title_from_metadata_or_first_heading(notebook: nbformat.NotebookNode) -> None:
    assert render.first_heading(notebook) == TITLE
    md_first = new_notebook(cells=[new_markdown_cell("Lời mở đầu\n\n# Báo cáo **tháng 5**")])
    assert render.first_heading(md_first) == "Báo cáo tháng 5"
    titled = render.set_document_metadata(briefing_notebook(), title="Tiêu đề <riêng>",
                                          created="2022-05-20T08:30:00+07:00")
    text, _ = render.BriefingHTMLExporter().from_notebook_node(titled)
    assert "<title>Tiêu đề &lt;riêng&gt;</title>" in text
    assert '<meta name="dcterms.created" content="2022-05-20T08:30:00+07:00">' in text


def test_exporter_identity() -> None:
    from nbconvert.exporters import get_exporter

    assert get_exporter("briefing_html") is render.BriefingHTMLExporter
    assert get_exporter("briefing_pdf") is render.BriefingPDFExporter
    assert render.BriefingHTMLExporter.export_from_notebook == "Briefing HTML"
    assert render.BriefingPDFExporter.export_from_notebook == "Briefing PDF"
    pdf = render.BriefingPDFExporter()
    assert pdf.output_mimetype == "application/pdf" and pdf.file_extension == ".pdf"
    assert render.BriefingHTMLExporter().file_extension == ".html"


# --------------------------------------------------------------------------- PDF


def test_pdf_exporter_returns_pdf_bytes(notebook: nbformat.NotebookNode) -> None:
    output, resources = render.BriefingPDFExporter().from_notebook_node(notebook)
    assert isinstance(output, bytes) and output.startswith(b"%PDF-")
    assert resources["output_extension"] == ".pdf"


def test_shared_stylesheet_gives_weasyprints_own_pdf() -> None:
    """The stylesheet parsed once per process and the shared font configuration change
    nothing: the bytes are those of WeasyPrint parsing the whole HTML itself, also for a
    pandas table (its ``border="1"`` must not win over the stylesheet's borders)."""
    from weasyprint import HTML
    from weasyprint.urls import URLFetcher

    render.render_documents(_long_notebook())  # the shared resources have served before
    frame = pd.DataFrame({"Đơn vị": ["Phòng Tư pháp", "UBND Phường 7"], "Số hồ sơ": [12, 3]})
    nb = briefing_notebook([new_code_cell("df", outputs=[html_output(frame.to_html())])])
    render.set_document_metadata(nb, created="2022-05-20T00:00:00+07:00")
    html, pdf = render.render_documents(nb, name="bc")
    assert 'border="1" class="dataframe"' in html
    assert render.STYLESHEET.read_text(encoding="utf-8") in html  # the HTML stays standalone
    exported, _ = render.BriefingHTMLExporter().from_notebook_node(  # a fresh exporter
        nb, resources={"metadata": {"name": "bc", "path": ""}})
    assert html == exported
    assert render._preloaded.get() is None  # the parsed sheet is lent to one document only
    fetcher = URLFetcher(allowed_protocols=set(render.OFFLINE_PROTOCOLS))
    with render.source_date_epoch(render.font_epoch("2022-05-20T00:00:00+07:00")):
        plain = HTML(string=html, url_fetcher=fetcher).write_pdf(presentational_hints=True)
    assert pdf == plain
    assert render.render_documents(nb, name="bc")[1] == pdf  # the shared resources are reused


def test_pdf_never_fetches_from_the_network() -> None:
    page = '<html lang="vi"><body><p>x</p><img src="http://192.0.2.1/logo.png"></body></html>'
    start = time.perf_counter()
    assert render.html_to_pdf(page).startswith(b"%PDF-")
    assert time.perf_counter() - start < 5  # refused at once, not a connection timeout


@needs_poppler
def test_pdf_is_a4_with_metadata(pdf_path: Path) -> None:
    info = run("pdfinfo", pdf_path)
    width, height = map(float, re.search(r"Page size:\s+([\d.]+) x ([\d.]+) pts", info).groups())
    assert (round(width, 2), round(height, 2)) == (595.28, 841.89)
    assert re.search(r"^Pages:\s+1$", info, re.M)
    assert re.search(rf"^Title:\s+{re.escape(TITLE)}$", info, re.M)
    assert re.search(r"^Creator:\s+briefkit ", info, re.M)


@needs_poppler
def test_pdf_fonts_embedded_times_metric(pdf_path: Path) -> None:
    rows = run("pdffonts", pdf_path).splitlines()[2:]
    assert rows
    for row in rows:
        # columns: name type encoding emb sub uni object ID
        assert row.split()[-5] == "yes", row
    assert any(re.search(r"\+(LiberationSerif|Tinos|TimesNewRoman)", row) for row in rows)


@needs_poppler
def test_pdf_text_is_exact_vietnamese(pdf_path: Path) -> None:
    text = run("pdftotext", "-enc", "UTF-8", pdf_path, "-")
    flat = " ".join(text.split())
    for expected in (report.NATIONAL_TITLE, report.MOTTO, "Số: 125/BC-VP",
                     "Quận 6, ngày 20 tháng 5 năm 2022", "BÁO CÁO", TITLE, RATE, DIACRITICS,
                     SENTENCE):
        assert expected in flat, expected


def _long_notebook() -> nbformat.NotebookNode:
    paragraphs = [f"Đoạn {i}: {SENTENCE} " * 4 for i in range(1, 30)]
    return briefing_notebook([new_code_cell("p", outputs=[
        html_output(report.paragraphs_html(paragraphs))])])


@needs_poppler
def test_page_numbers_from_page_two(tmp_path: Path) -> None:
    html_file, pdf_file = render.render_notebook(_long_notebook(), tmp_path / "b.html",
                                                 tmp_path / "b.pdf")
    pages = int(re.search(r"Pages:\s+(\d+)", run("pdfinfo", pdf_file)).group(1))
    assert pages >= 3
    first = [ln.strip() for ln in run("pdftotext", "-layout", "-f", "1", "-l", "1", pdf_file,
                                      "-").splitlines() if ln.strip()]
    assert "1" not in first
    assert first[0].startswith("ỦY BAN NHÂN DÂN QUẬN 6")
    for page in (2, 3):
        lines = [ln.strip() for ln in run("pdftotext", "-layout", "-f", str(page), "-l",
                                          str(page), pdf_file, "-").splitlines() if ln.strip()]
        assert lines[0] == str(page)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["b.html", "b.pdf"]  # no .part left
    assert html_file.read_text(encoding="utf-8").startswith("<!DOCTYPE html>")


@needs_poppler
def test_long_table_repeats_header_and_never_splits_a_row(tmp_path: Path) -> None:
    n = 120
    frame = pd.DataFrame({
        "dossier_id": [f"HS{i:04d}" for i in range(1, n + 1)],
        # a name long enough to wrap, ending with a marker of its row
        "procedure": [f"Đăng ký khai sinh cho người đã có hồ sơ, giấy tờ cá nhân KT{i:04d}"
                      for i in range(1, n + 1)],
        "due_at": pd.date_range("2022-01-03", periods=n, freq="D"),
        "days_late": [i % 9 + 1 for i in range(n)],
    })
    table = report.dossier_list_html(frame, {"dossier_id": "Mã hồ sơ", "procedure": "Thủ tục",
                                             "due_at": "Ngày hẹn trả",
                                             "days_late": "Số ngày trễ"})
    nb = briefing_notebook([new_code_cell("t", outputs=[html_output(table)])])
    _, pdf_file = render.render_notebook(nb, tmp_path / "t.html", tmp_path / "t.pdf")
    pages = int(re.search(r"Pages:\s+(\d+)", run("pdfinfo", pdf_file)).group(1))
    assert pages >= 3
    texts = [run("pdftotext", "-f", str(p), "-l", str(p), pdf_file, "-")
             for p in range(1, pages + 1)]
    for i in range(1, n + 1):
        start = [p for p, t in enumerate(texts) if f"HS{i:04d}" in t]
        end = [p for p, t in enumerate(texts) if f"KT{i:04d}" in t]
        assert start == end and len(start) == 1, f"row {i} split across pages {start} {end}"
    with_rows = [" ".join(t.split()) for t in texts if "HS0" in t]
    assert len(with_rows) >= 2
    assert all("Mã hồ sơ" in t and "Ngày hẹn trả" in t for t in with_rows)  # thead repeats


@needs_poppler
def test_landscape_section_gets_a_turned_page(tmp_path: Path) -> None:
    wide = '<section class="bk-landscape"><p>Phụ lục ngang</p></section>'
    nb = briefing_notebook([new_code_cell("w", outputs=[html_output(wide)]),
                            new_markdown_cell("Trở lại trang dọc.")])
    _, pdf_file = render.render_notebook(nb, tmp_path / "l.html", tmp_path / "l.pdf")
    sizes = re.findall(r"Page\s+\d+ size:\s+([\d.]+) x ([\d.]+)",
                       run("pdfinfo", "-f", "1", "-l", "9", pdf_file))
    orientation = ["landscape" if float(w) > float(h) else "portrait" for w, h in sizes]
    assert orientation == ["portrait", "landscape", "portrait"]
    assert "Trở lại trang dọc." in run("pdftotext", "-f", "3", "-l", "3", pdf_file, "-")


@pytest.mark.parametrize("as_url", [False, True])
def test_render_documents_embeds_markdown_images_from_base_url(tmp_path: Path,
                                                               as_url: bool) -> None:
    (tmp_path / "logo.png").write_bytes(base64.b64decode(_png()))
    nb = briefing_notebook([new_markdown_cell("![Biểu trưng](logo.png)")])
    base = tmp_path.as_uri() + "/" if as_url else str(tmp_path) + "/"
    html, pdf = render.render_documents(nb, base_url=base)
    assert f'src="data:image/png;base64,{_png()}"' in html  # standalone: embedded
    assert pdf.startswith(b"%PDF-")


def test_render_notebook_from_path_html_only(tmp_path: Path,
                                             notebook: nbformat.NotebookNode) -> None:
    source = tmp_path / "nb.ipynb"
    nbformat.write(notebook, source)
    html_file, pdf_file = render.render_notebook(source, tmp_path / "out" / "briefing.html")
    assert pdf_file is None
    assert html_file.read_text(encoding="utf-8").count("bk-header") >= 1


@pytest.mark.parametrize("target", ["briefing_pdf", "briefing_html"])
def test_nbconvert_command_line(tmp_path: Path, notebook: nbformat.NotebookNode,
                                target: str) -> None:
    source = tmp_path / "bc.ipynb"
    nbformat.write(notebook, source)
    subprocess.run([sys.executable, "-m", "nbconvert", "--to", target, str(source)],
                   check=True, capture_output=True, cwd=tmp_path)
    out = tmp_path / ("bc.pdf" if target == "briefing_pdf" else "bc.html")
    head = out.read_bytes()[:16]
    assert head.startswith(b"%PDF-") if target == "briefing_pdf" else b"<!DOCTYPE" in head


def test_the_exporter_checks_the_notebook_once_after_its_preprocessors(
        monkeypatch: pytest.MonkeyPatch) -> None:
    from nbconvert.exporters import exporter as base
    from nbconvert.preprocessors import Preprocessor

    nb = new_notebook(cells=[new_markdown_cell("Báo cáo"), new_code_cell(
        "1", outputs=[new_output("execute_result", {"text/plain": "1"}, execution_count=1)])])
    checks: list[object] = []
    validate = base.nbformat.validate
    monkeypatch.setattr(base.nbformat, "validate",
                        lambda nb, **kw: (checks.append(nb), validate(nb, **kw))[1])
    render.BriefingHTMLExporter().from_notebook_node(nb)
    assert len(checks) == 1  # nbconvert's default: once after each of 15 preprocessors

    class Breaks(Preprocessor):  # the one check still sees what the preprocessors made
        def preprocess(self, nb: nbformat.NotebookNode, resources: dict[str, object]
                       ) -> tuple[nbformat.NotebookNode, dict[str, object]]:
            nb.cells[1].outputs[0]["output_type"] = "no such type"
            return nb, resources

    exporter = render.BriefingHTMLExporter()
    exporter.register_preprocessor(Breaks, enabled=True)
    with pytest.raises(nbformat.ValidationError):
        exporter.from_notebook_node(nb)
