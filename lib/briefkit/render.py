"""From an executed briefing notebook to one standalone HTML file and its PDF.

The pipeline is nbconvert's own model, so every stage can be swapped by configuration:

* **Exporter** — :class:`BriefingHTMLExporter` (``jupyter nbconvert --to briefing_html``) and
  :class:`BriefingPDFExporter` (``--to briefing_pdf``), registered as ``nbconvert.exporters``
  entry points, so JupyterLab's "Save and Export Notebook As" lists them too.
* **Preprocessors** — declared in the template's ``conf.json`` (cells tagged ``remove``
  dropped, stdout/stderr logs dropped, the document title found), each configurable or
  replaceable with ``--TagRemovePreprocessor.…`` / ``--DropStreamsPreprocessor.enabled=False``.
* **Template** — ``resources/templates/briefing``: a lean Jinja template and one print
  stylesheet for the layout of official documents (Decree 30/2020/NĐ-CP, annex I).

Why a template of our own rather than nbconvert's ``lab`` one: the JupyterLab stylesheet is
large, slow to lay out and not the official layout, and the ``lab``/``classic`` templates pull
require.js and MathJax from a CDN. Briefings are opened on offices' closed networks, so the
HTML loads nothing: the stylesheet is inlined, PNG/JPEG outputs are data URIs, SVG outputs are
inline, and the PDF renderer is only allowed ``data:`` and ``file:`` URLs.

Why WeasyPrint for the PDF: it renders the HTML in-process with CSS Paged Media (``@page``
margins, page numbers in the top margin from page 2, named landscape pages, repeated table
headers, no row split across pages), with no browser and no TeX to install. Measured on this
machine (WeasyPrint 70, median of 5): a one-page text briefing 0.04 s; a three-page briefing
with tables, an SVG and a PNG chart 0.24 s; a seven-page one with a 90-row table and a
landscape Biểu 06 0.48 s; the HTML export itself takes under 10 ms. Headless Chromium
(``--print-to-pdf``) took 1.1-1.3 s for the same three-page document, mostly browser start-up,
and prints US Letter unless the stylesheet says A4; the TeX route (``--to pdf``) is reported
at about 5 s per document and 722 MB of TeX, with a LaTeX rather than an official layout.
The PDF is derived from the very same HTML string as the HTML file, so the two never disagree.

Fonts: the stylesheet asks for "Times New Roman", then "Liberation Serif" and "Tinos", all
metric-compatible with Times New Roman (same advance widths, so lines break where Word breaks
them). Where Times New Roman is absent, fontconfig's metric aliases resolve it (on Debian with
fonts-croscore and fonts-liberation2, ``fc-match "Times New Roman"`` gives Tinos); the PDF
embeds subsets of whatever resolved, with complete Vietnamese coverage.
"""

from __future__ import annotations

import datetime as _dt
import re
from collections.abc import Mapping
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import nbformat
from nbconvert.exporters import HTMLExporter, TemplateExporter
from nbconvert.filters.highlight import Highlight2HTML
from nbconvert.preprocessors import Preprocessor
from nbformat import NotebookNode
from traitlets import Set, Unicode, default
from traitlets.config import Config

from briefkit import __version__
from briefkit.iorw import atomic_write_bytes, atomic_write_text

#: Folder holding the ``briefing`` nbconvert template (shipped as package data).
TEMPLATES_DIR = Path(__file__).resolve().parent / "resources" / "templates"
TEMPLATE_NAME = "briefing"
#: The only URL schemes the PDF renderer may read: embedded data and local files.
OFFLINE_PROTOCOLS = frozenset({"data", "file"})
#: Title used when neither the notebook metadata nor any heading provides one.
DEFAULT_TITLE = "Báo cáo"

_XML_PROLOGUE = re.compile(r"<\?xml[^>]*\?>|<!DOCTYPE[^>[]*(\[[^]]*\])?\s*>", re.IGNORECASE)
_MD_HEADING = re.compile(r"^ {0,3}#{1,6}[ \t]+(.+?)[ \t#]*$", re.MULTILINE)
_MD_INLINE = re.compile(r"[*_`]+|\[([^\]]*)\]\([^)]*\)")
_SPACES = re.compile(r"\s+")


# ---------------------------------------------------------------------------------------------
# Preprocessors (declared in the template's conf.json, so each one can be configured or swapped)


class DropStreamsPreprocessor(Preprocessor):
    """Drop stream outputs (``print`` logs, warnings on stderr) from code cells.

    A briefing is read by people outside the analytics team; logs belong in the executed
    notebook, which keeps them, not in the document that goes out with a dispatch.
    """

    stream_names = Set({"stdout", "stderr"},
                       help="Names of the streams to drop.").tag(config=True)

    def preprocess_cell(self, cell: NotebookNode, resources: dict[str, Any],
                        index: int) -> tuple[NotebookNode, dict[str, Any]]:
        if cell.get("cell_type") == "code" and cell.get("outputs"):
            cell.outputs = [o for o in cell.outputs
                            if not (o.get("output_type") == "stream"
                                    and o.get("name") in self.stream_names)]
        return cell, resources


class _FirstHeading(HTMLParser):
    """Collect the text of the first ``<h1>``…``<h6>`` of an HTML fragment."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.depth = 0
        self.parts: list[str] = []
        self.done = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if self.done:
            return
        if re.fullmatch(r"h[1-6]", tag):
            self.depth += 1
        elif tag == "br" and self.depth:
            self.parts.append(" ")

    def handle_endtag(self, tag: str) -> None:
        if self.depth and re.fullmatch(r"h[1-6]", tag):
            self.depth -= 1
            if not self.depth and "".join(self.parts).strip():
                self.done = True

    def handle_data(self, data: str) -> None:
        if self.depth and not self.done:
            self.parts.append(data)

    @property
    def text(self) -> str | None:
        text = _SPACES.sub(" ", "".join(self.parts)).strip()
        return text if self.done and text else None


def _first_html_heading(fragment: str) -> str | None:
    parser = _FirstHeading()
    parser.feed(fragment)
    parser.close()
    return parser.text


def first_heading(nb: NotebookNode) -> str | None:
    """The first heading of a notebook in reading order: a markdown ``#`` heading or an
    ``<h1>``…``<h6>`` in a ``text/html`` output (what :func:`briefkit.report.title_html`
    displays). Inline markdown markup is dropped."""
    for cell in nb.cells:
        if cell.cell_type == "markdown":
            match = _MD_HEADING.search(cell.source)
            if match:
                text = _MD_INLINE.sub(lambda m: m.group(1) or "", match.group(1))
                text = _SPACES.sub(" ", text).strip()
                if text:
                    return text
            if "<h" in cell.source:
                found = _first_html_heading(cell.source)
                if found:
                    return found
        elif cell.cell_type == "code":
            for output in cell.get("outputs", []):
                data = output.get("data", {})
                fragment = data.get("text/html")
                if fragment:
                    found = _first_html_heading("".join(fragment)
                                                if isinstance(fragment, list) else fragment)
                    if found:
                        return found
    return None


class BriefingMetadataPreprocessor(Preprocessor):
    """Put the document metadata the template writes into ``<head>`` in
    ``resources["briefing"]``: title, authors, generator and creation date.

    WeasyPrint copies ``<title>``, ``<meta name="author">``, ``generator`` and
    ``dcterms.created`` into the PDF's document information, and ``<html lang>`` into its
    catalogue, so the PDF metadata is a pure function of the notebook (no clock, no host).

    Title: notebook metadata ``title`` (or ``briefkit.title``), else the first heading, else
    the notebook's file name. Creation date: notebook metadata ``briefkit.created`` (W3C date)
    when the pipeline records one; otherwise none, rather than the wall clock.
    """

    def preprocess(self, nb: NotebookNode,
                   resources: dict[str, Any]) -> tuple[NotebookNode, dict[str, Any]]:
        own = nb.metadata.get("briefkit", {}) or {}
        title = (nb.metadata.get("title") or own.get("title") or first_heading(nb)
                 or resources.get("metadata", {}).get("name") or DEFAULT_TITLE)
        authors = [a.get("name", "") if isinstance(a, Mapping) else str(a)
                   for a in nb.metadata.get("authors", []) or []]
        resources["briefing"] = {
            "title": _SPACES.sub(" ", str(title)).strip(),
            "authors": [a for a in authors if a],
            "generator": f"briefkit {__version__}",
            "created": str(own["created"]) if own.get("created") else None,
        }
        return nb, resources


# ---------------------------------------------------------------------------------------------
# Filters


def inline_svg(svg: str | list[str]) -> str:
    """An SVG document made fit for inlining in HTML: no XML declaration or DOCTYPE (the
    matplotlib DOCTYPE even names a W3C URL), no leading whitespace."""
    text = "".join(svg) if isinstance(svg, list) else str(svg)
    return _XML_PROLOGUE.sub("", text).strip()


def data_uri_payload(data: str | list[str]) -> str:
    """Base64 image data as stored in a notebook, without the line breaks some writers add."""
    text = "".join(data) if isinstance(data, list) else str(data)
    return re.sub(r"\s+", "", text)


# ---------------------------------------------------------------------------------------------
# Exporters


class BriefingHTMLExporter(HTMLExporter):
    """A briefing as one standalone HTML file: the official layout, no code, no prompts, no
    logs, nothing fetched from the network, every image embedded."""

    export_from_notebook = "Briefing HTML"

    @default("template_name")
    def _template_name_default(self) -> str:
        return TEMPLATE_NAME

    @default("extra_template_basedirs")
    def _default_extra_template_basedirs(self) -> list[str]:
        # Only our own folder: nbconvert's default adds the working directory, which would let
        # a stray "briefing/" folder there shadow the packaged template.
        return [str(TEMPLATES_DIR)]

    @default("exclude_input")
    def _exclude_input_default(self) -> bool:
        return True

    @default("exclude_input_prompt")
    def _exclude_input_prompt_default(self) -> bool:
        return True

    @default("exclude_output_prompt")
    def _exclude_output_prompt_default(self) -> bool:
        return True

    @default("exclude_anchor_links")
    def _exclude_anchor_links_default(self) -> bool:
        return True

    @default("embed_images")
    def _embed_images_default(self) -> bool:
        return True

    @default("language_code")
    def _language_code_default(self) -> str:
        return "vi"

    @property
    def default_config(self) -> Config:
        # Scripts and widgets have nothing to run on in a printed briefing: prefer static
        # representations, vector graphics first.
        c = Config({"NbConvertBase": {"display_data_priority": [
            "text/html", "text/markdown", "image/svg+xml", "image/png", "image/jpeg",
            "text/latex", "text/plain",
        ]}})
        base = super().default_config.copy()
        base.merge(c)
        return base

    def default_filters(self) -> Any:
        yield from super().default_filters()
        yield ("inline_svg", inline_svg)
        yield ("data_uri_payload", data_uri_payload)

    def from_notebook_node(  # type: ignore[override]
        self, nb: NotebookNode, resources: dict[str, Any] | None = None, **kw: Any
    ) -> tuple[str, dict[str, Any]]:
        """Render the template without HTMLExporter's BeautifulSoup round trip: that pass
        lower-cases inline SVG (``viewBox`` → ``viewbox``), adds English alt texts and costs
        a full re-parse; the template writes alt texts itself."""
        langinfo = nb.metadata.get("language_info", {})
        lexer = langinfo.get("pygments_lexer", langinfo.get("name", None))
        self.register_filter("highlight_code", self.filters.get(
            "highlight_code", Highlight2HTML(pygments_lexer=lexer, parent=self)))
        return TemplateExporter.from_notebook_node(self, nb, resources, **kw)


class BriefingPDFExporter(BriefingHTMLExporter):
    """The briefing as an A4 PDF, rendered from the briefing HTML by WeasyPrint in-process."""

    export_from_notebook = "Briefing PDF"
    output_mimetype = "application/pdf"

    base_url = Unicode(None, allow_none=True,
                       help="Base URL for relative links; defaults to the notebook's folder."
                       ).tag(config=True)

    @default("file_extension")
    def _file_extension_default(self) -> str:
        return ".pdf"

    @default("template_extension")
    def _template_extension_default(self) -> str:
        return ".html.j2"

    def from_notebook_node(  # type: ignore[override]
        self, nb: NotebookNode, resources: dict[str, Any] | None = None, **kw: Any
    ) -> tuple[bytes, dict[str, Any]]:
        text, resources = super().from_notebook_node(nb, resources, **kw)
        base = self.base_url
        if base is None:
            path = resources.get("metadata", {}).get("path")
            base = str(Path(path).resolve()) + "/" if path else None
        pdf = html_to_pdf(text, base_url=base)
        resources["output_extension"] = ".pdf"
        return pdf, resources


# ---------------------------------------------------------------------------------------------
# Functions the pipeline calls


def html_to_pdf(html_text: str, base_url: str | None = None) -> bytes:
    """PDF bytes for a briefing HTML document (WeasyPrint, print media, offline).

    Only ``data:`` and ``file:`` URLs are fetched: on a closed network an ``http`` fetch would
    hang until its timeout, and a briefing must not depend on anything outside its file.
    ``presentational_hints`` honours HTML attributes such as ``width`` on images and the
    ``border`` of pandas tables. Fonts are embedded as subsets.
    """
    # deferred: importing WeasyPrint loads Pango, which the HTML export does not need
    from weasyprint import HTML
    from weasyprint.urls import URLFetcher

    fetcher = URLFetcher(allowed_protocols=set(OFFLINE_PROTOCOLS))
    document = HTML(string=html_text, base_url=base_url, url_fetcher=fetcher)
    return document.write_pdf(presentational_hints=True)


def _read_notebook(nb: NotebookNode | str | Path) -> tuple[NotebookNode, dict[str, Any]]:
    if isinstance(nb, NotebookNode):
        return nb, {"metadata": {"name": "", "path": ""}}
    path = Path(nb)
    node = nbformat.read(path, as_version=4)
    return node, {"metadata": {"name": path.stem, "path": str(path.resolve().parent)}}


def render_notebook(nb: NotebookNode | str | Path, html_path: str | Path,
                    pdf_path: str | Path | None = None,
                    exporter: BriefingHTMLExporter | None = None
                    ) -> tuple[Path, Path | None]:
    """Write the briefing HTML (and the PDF when ``pdf_path`` is given) for a notebook.

    The HTML is exported once and the PDF derived from that same string, so both show the
    same content; both files are written atomically (a reader never sees a torn file).
    Relative URLs resolve against the HTML file's folder, as they would in a browser.
    Returns the paths written.
    """
    node, resources = _read_notebook(nb)
    exporter = exporter or BriefingHTMLExporter()
    text, _ = exporter.from_notebook_node(node, resources=resources)
    html_file = atomic_write_text(html_path, text)
    if pdf_path is None:
        return html_file, None
    base = str(Path(html_path).resolve().parent) + "/"
    pdf_file = atomic_write_bytes(pdf_path, html_to_pdf(text, base_url=base))
    return html_file, pdf_file


def _w3c_date(value: _dt.datetime | _dt.date | str) -> str:
    """A W3C date-time for ``dcterms.created`` (what WeasyPrint parses)."""
    if isinstance(value, str):
        return value
    return value.isoformat(timespec="seconds") if isinstance(value, _dt.datetime) \
        else value.isoformat()


def set_document_metadata(nb: NotebookNode, *, title: str | None = None,
                          created: _dt.datetime | _dt.date | str | None = None) -> NotebookNode:
    """Record the title and creation date the PDF metadata will carry (in
    ``nb.metadata.briefkit``); pipelines call this before executing or rendering."""
    own = dict(nb.metadata.get("briefkit", {}) or {})
    if title is not None:
        own["title"] = title
    if created is not None:
        own["created"] = _w3c_date(created)
    nb.metadata["briefkit"] = own
    return nb


__all__ = [
    "OFFLINE_PROTOCOLS",
    "TEMPLATES_DIR",
    "BriefingHTMLExporter",
    "BriefingMetadataPreprocessor",
    "BriefingPDFExporter",
    "DropStreamsPreprocessor",
    "first_heading",
    "html_to_pdf",
    "inline_svg",
    "render_notebook",
    "set_document_metadata",
]
