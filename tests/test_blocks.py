"""The briefing's blocks in a notebook (briefkit.blocks): styled like the document with a style
derived from briefing.css and scoped to the block, stripped again by the exporters; the
committed notebooks carry no outputs; JupyterLab's download name."""

from __future__ import annotations

import json
import re
from pathlib import Path

import nbformat
import pytest
import tinycss2
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook, new_output

from briefkit import blocks, render, report
from briefkit.document import DOCUMENT_INFO_MIMETYPE

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOKS = sorted((ROOT / "notebooks").glob("*.ipynb"))
HEADER = {"parent_body": "Ủy ban nhân dân Quận 6", "issuing_body": "Văn phòng HĐND và UBND",
          "number": "125/BC-VP", "place": "Quận 6", "date": "2022-05-20"}


def selectors(css: str) -> list[str]:
    """Every selector of every rule of a stylesheet; fails on an at-rule."""
    found = []
    for rule in tinycss2.parse_stylesheet(css, skip_comments=True, skip_whitespace=True):
        assert rule.type == "qualified-rule", tinycss2.serialize([rule])
        found += [s.strip() for s in tinycss2.serialize(rule.prelude).split(",")]
    return found


# --------------------------------------------------------------------------- the style


def test_notebook_css_is_scoped_to_the_block() -> None:
    css = blocks.notebook_css()
    found = selectors(css)
    assert found and all(re.match(r"\.bk-doc(?![\w-])", s) for s in found), \
        [s for s in found if not s.startswith(".bk-doc")]
    assert "<" not in css  # cannot close the <style> element it is carried in


def test_notebook_css_is_derived_from_the_stylesheet() -> None:
    """The rules are briefing.css's, not a copy: each scoped rule's declarations are those of
    the template's stylesheet (less the print-only ones)."""
    css = blocks.notebook_css()
    source = blocks.stylesheet_path().read_text(encoding="utf-8")
    assert css == blocks.NOTEBOOK_RESET_CSS + blocks.scope_css(source) + blocks.NOTEBOOK_EXTRA_CSS
    # the document's look: Times-metric serif, status colours, table borders, the header's
    # two columns, Biểu 06's columns
    for rule in (
        '.bk-doc { font-family: "Times New Roman", "Liberation Serif", "Tinos", serif; '
        "font-size: 13pt;",
        ".bk-doc .bk-status-notmet { color: #7f1d1d; font-weight: bold; }",
        ".bk-doc .bk-status-met { color: #14532d; }",
        ".bk-doc table.bk-header col.bk-header-left { width: 38%; }",
        "border: 0.5pt solid #000;",
        ".bk-doc table.bk-bieu06 col.bk-col-unit { width: 21%; }",
        ".bk-doc .bk-motto {",
    ):
        assert rule in css, rule
    assert "@page" not in css and "break-" not in css and "orphans" not in css
    assert "#e6e6e6" not in css  # the screen backdrop around the page is not the page


def test_scope_css_transformation() -> None:
    source = """
    /* a comment */
    @page { size: A4; @top-center { content: counter(page); } }
    html { font-size: 13pt; color: #000; }
    body { margin: 0; }
    .bk-document { margin: 0; }
    p, .bk-markdown ul { margin: 0 0 6pt; orphans: 2; }
    .bk-html table.dataframe { width: auto; }
    tr { break-inside: avoid; }
    .celltag_landscape, .bk-landscape { page: bk-landscape; overflow: hidden; }
    @media print { p { color: red; } }
    @media screen { html { background: grey; } .bk-landscape { overflow-x: auto; } }
    """
    assert blocks.scope_css(source, ".s") == (
        ".s { font-size: 13pt; color: #000; }\n"
        ".s p { margin: 0 0 6pt; }\n"
        ".s table.dataframe { width: auto; }\n"
        ".s .bk-landscape { overflow: hidden; }\n"
        ".s .bk-landscape { overflow-x: auto; }\n")


@pytest.mark.parametrize(("selector", "scoped"), [
    ("html", ".bk-doc"),
    ("p", ".bk-doc p"),
    ("table.bk-table td", ".bk-doc table.bk-table td"),
    (".bk-html img", ".bk-doc img"),
    ("body", None),
    (".bk-document", None),
    (".bk-markdown ol > li", None),
    (".celltag_new-page", None),
])
def test_scope_selector(selector: str, scoped: str | None) -> None:
    assert blocks.scope_selector(selector) == scoped


# --------------------------------------------------------------------------- the block


def test_block_carries_its_scoped_style() -> None:
    fragment = report.header_html(HEADER)
    shown = report.block(fragment)._repr_html_()
    assert shown.startswith('<div class="bk-doc"><style data-briefkit="notebook">')
    assert shown.endswith(fragment + "</div>")
    style = re.search(r"<style[^>]*>(.*?)</style>", shown, re.DOTALL)
    assert style and style.group(1) == blocks.notebook_css()
    assert blocks.unwrap(shown) == fragment
    assert blocks.unwrap(fragment) is None
    assert blocks.unwrap("<div class=\"bk-doc\"><p>x</p></div>") is None
    assert report.block("<p>a</p>", "<p>b</p>").fragment == "<p>a</p><p>b</p>"


def test_show_displays_one_html_block(monkeypatch: pytest.MonkeyPatch) -> None:
    shown: list[object] = []
    monkeypatch.setattr("IPython.display.display", lambda *objs: shown.extend(objs))
    report.show("<p>a</p>")
    assert len(shown) == 1 and isinstance(shown[0], blocks.Block)


# --------------------------------------------------------------------------- the export


def _notebook(wrapped: bool) -> nbformat.NotebookNode:
    fragments = [report.header_html(HEADER), report.title_html("Báo cáo", "Kết quả quý I/2022"),
                 report.closing_html({"issuing_body": "X", "recipients": ["Như trên"]})]
    cells = [new_markdown_cell("## I. Kết quả")]
    for fragment in fragments:
        html = blocks.wrap(fragment) if wrapped else fragment
        cells.append(new_code_cell("report.show(…)", outputs=[new_output(
            "display_data", data={"text/html": html, "text/plain": "<block>"})]))
    return new_notebook(cells=cells, metadata={"language_info": {"name": "python"}})


def test_export_strips_the_notebook_style() -> None:
    """The exporters replace each block by its fragment: the HTML (so the PDF made from it)
    is byte-identical to that of plain fragments and carries the stylesheet once."""
    wrapped, plain = _notebook(True), _notebook(False)
    html, _ = render.BriefingHTMLExporter().from_notebook_node(wrapped)
    assert html == render.BriefingHTMLExporter().from_notebook_node(plain)[0]
    assert 'class="bk-doc"' not in html and 'data-briefkit="notebook"' not in html
    assert html.count('<style type="text/css">') == 1  # the stylesheet, once
    assert wrapped.cells[1].outputs[0].data["text/html"].startswith('<div class="bk-doc">')
    text, _ = render.render_documents(wrapped)
    assert text == html


def test_export_keeps_other_html_outputs() -> None:
    nb = new_notebook(cells=[new_code_cell("x", outputs=[new_output(
        "display_data", data={"text/html": '<div class="bk-doc"><b>own</b></div>'})])])
    html, _ = render.BriefingHTMLExporter().from_notebook_node(nb)
    assert '<div class="bk-doc"><b>own</b></div>' in html


def test_exporter_labels() -> None:
    assert render.BriefingHTMLExporter.export_from_notebook == "Briefing HTML"
    assert render.BriefingPDFExporter.export_from_notebook == "Briefing PDF"


# --------------------------------------------------------------------------- file names


def _with_document_info(stem: str) -> nbformat.NotebookNode:
    nb = _notebook(True)
    nb.cells.append(new_code_cell("display(briefing.document_info(b))", outputs=[new_output(
        "display_data", data={DOCUMENT_INFO_MIMETYPE: {"file_stem": stem},
                              "text/plain": "<document info>"})]))
    return nb


def test_jupyterlab_download_carries_unit_and_period() -> None:
    """jupyter_server names a download ``<notebook stem> + output_extension``; it calls the
    exporter with ``config_dir`` and without ``unique_key``."""
    nb = _with_document_info("BC-TTHC_TP_2023Q4")
    server = {"metadata": {"name": "unit_briefing"}, "config_dir": "/nowhere"}
    _, res = render.BriefingHTMLExporter().from_notebook_node(nb, resources=dict(server))
    assert "unit_briefing" + res["output_extension"] == "unit_briefing_BC-TTHC_TP_2023Q4.html"
    _, res = render.BriefingPDFExporter().from_notebook_node(nb, resources=dict(server))
    assert "unit_briefing" + res["output_extension"] == "unit_briefing_BC-TTHC_TP_2023Q4.pdf"
    # a notebook saved under the document's name downloads under that name
    same = {"metadata": {"name": "BC-TTHC_TP_2023Q4"}, "config_dir": "/nowhere"}
    _, res = render.BriefingPDFExporter().from_notebook_node(nb, resources=same)
    assert res["output_extension"] == ".pdf"
    # jupyter nbconvert: unique_key names the file, the extension stays
    cli = {"metadata": {"name": "unit_briefing"}, "config_dir": "/x",
           "unique_key": "unit_briefing"}
    _, res = render.BriefingPDFExporter().from_notebook_node(nb, resources=cli)
    assert res["output_extension"] == ".pdf" and res["unique_key"] == "BC-TTHC_TP_2023Q4"


# --------------------------------------------------------------------------- the notebooks


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_committed_notebooks_have_no_outputs(path: Path) -> None:
    raw = json.loads(path.read_text(encoding="utf-8"))
    for cell in raw["cells"]:
        if cell["cell_type"] == "code":
            assert cell["outputs"] == [] and cell["execution_count"] is None, cell["source"]
    assert "widgets" not in raw["metadata"]


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_notebooks_show_blocks_styled(path: Path) -> None:
    """Every HTML block of the notebooks goes through report.show (so it carries its style)."""
    nb = nbformat.read(path, as_version=4)
    code = "\n".join(c.source for c in nb.cells if c.cell_type == "code")
    assert "report.show(" in code
    assert "HTML(" not in code


def test_output_stripping_is_set_up() -> None:
    """`make setup` installs nbstripout as the repository's git filter for notebooks."""
    attributes = (ROOT / ".gitattributes").read_text(encoding="utf-8")
    assert re.search(r"^\*\.ipynb\s+filter=nbstripout\b", attributes, re.MULTILINE)
    makefile = (ROOT / "Makefile").read_text(encoding="utf-8")
    assert "nbstripout --install" in makefile
