"""From an executed briefing notebook to one standalone HTML file and its PDF.

The pipeline is nbconvert's own model, so every stage can be swapped by configuration:

* **Exporter** — :class:`BriefingHTMLExporter` (``jupyter nbconvert --to briefing_html``) and
  :class:`BriefingPDFExporter` (``--to briefing_pdf``), registered as ``nbconvert.exporters``
  entry points, so JupyterLab's "Save and Export Notebook As" lists them too.
* **Preprocessors** — declared in the template's ``conf.json`` (cells tagged ``remove``
  dropped, stdout/stderr logs dropped, the notebook-only style of each block stripped
  (:class:`StripNotebookStylePreprocessor`), the document title found), each configurable or
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
embeds subsets of whatever resolved, with complete Vietnamese coverage. The charts' SVG names
the same list for its ``<text>`` (:mod:`briefkit.charts`), so their labels use the same
embedded font. WeasyPrint subsets fonts with HarfBuzz's ``libharfbuzz-subset.so.0`` (Debian
package libharfbuzz-subset0, which ``scripts/system-deps.sh`` installs), else with fontTools.

Reproducible bytes: the same notebook gives the same HTML and PDF in any process, at any
time. The PDF's creation date is the notebook's ``briefkit.created`` (the batch records the
document timestamp, 00:00 of the document's date in Vietnam; :func:`set_document_metadata`),
or none; it has no modification date and no file identifier; and it is written with
``SOURCE_DATE_EPOCH`` set to that date (:func:`font_epoch`, 0 without one), the time fontTools
stamps into the fonts it writes instead of the current second.

Per-process resources: :func:`render_documents` (what batch workers call) and
:func:`render_notebook` share one exporter, one WeasyPrint font configuration and the
template's stylesheet parsed once, per process (per thread). On a real unit briefing (four
pages, four charts; median of 9, this 2-core machine) the PDF took 2.2–2.4 s before (charts
with ~1,000 glyph paths, fonts subset by fontTools) and 0.63–0.93 s after: about 1 s less from
the charts' text as text, 0.3–0.5 s from HarfBuzz's subsetter, about 40 ms from the shared
stylesheet and font configuration (paired, in one process); the HTML export takes 14 ms with
the shared exporter (55 ms with a new one).
"""

from __future__ import annotations

import atexit
import contextlib
import datetime as _dt
import gc
import os
import re
import threading
import urllib.parse
import urllib.request
from collections.abc import Iterator, Mapping
from contextvars import ContextVar
from dataclasses import dataclass
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

from briefkit import __version__, blocks, packaged
from briefkit.clock import LOCAL_TZ, SOURCE_DATE_EPOCH, document_timestamp
from briefkit.document import DOCUMENT_INFO_MIMETYPE
from briefkit.iorw import atomic_write_bytes, atomic_write_text
from briefkit.textsafety import html_text

#: Folder holding the ``briefing`` nbconvert template (package data, found with
#: importlib.resources: :func:`briefkit.packaged.templates_dir`).
TEMPLATES_DIR = packaged.templates_dir()
TEMPLATE_NAME = "briefing"
#: The only URL schemes the PDF renderer may read: embedded data and local files.
OFFLINE_PROTOCOLS = frozenset({"data", "file"})
#: WeasyPrint's options for every PDF (``presentational_hints``: see :func:`html_to_pdf`).
_PDF_OPTIONS: dict[str, Any] = {"presentational_hints": True}
#: Title used when neither the notebook metadata nor any heading provides one.
DEFAULT_TITLE = "Báo cáo"
#: The ``<meta name="briefkit.…">`` of a briefing's head and the custom keys of the PDF's
#: document information they become (``pdfinfo -custom`` lists them).
PDF_CUSTOM_KEYS: dict[str, str] = {
    "briefkit.period": "BriefkitPeriod",
    "briefkit.convention": "BriefkitConvention",
    "briefkit.unit-id": "BriefkitUnitID",
    "briefkit.data-sha256": "BriefkitDataSHA256",
    "briefkit.parameters": "BriefkitParameters",
    "briefkit.version": "BriefkitVersion",
}

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


class StripNotebookStylePreprocessor(Preprocessor):
    """Replace each block a notebook displayed with its scoped style
    (:func:`briefkit.blocks.show`: ``<div class="bk-doc"><style>…</style>FRAGMENT</div>``)
    by its bare fragment.

    In the document the template's stylesheet, inlined once in the ``<head>``, lays the blocks
    out; the per-block copies are for JupyterLab only. Without them the HTML and PDF are
    byte-identical to those of ``display(HTML(fragment))`` outputs, and the PDF does not carry
    the stylesheet once per block. Any other HTML output is left as it is.
    """

    def preprocess_cell(self, cell: NotebookNode, resources: dict[str, Any],
                        index: int) -> tuple[NotebookNode, dict[str, Any]]:
        if cell.get("cell_type") != "code":
            return cell, resources
        for output in cell.get("outputs", []):
            data = output.get("data") or {}
            html = data.get("text/html")
            if html is None:
                continue
            fragment = blocks.unwrap("".join(html) if isinstance(html, list) else str(html))
            if fragment is not None:
                data["text/html"] = fragment
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


def document_info_of(nb: NotebookNode) -> dict[str, Any]:
    """The document metadata a notebook displayed (:func:`briefkit.document.document_info`:
    an output of mimetype :data:`~briefkit.document.DOCUMENT_INFO_MIMETYPE`); ``{}`` if none."""
    for cell in nb.cells:
        for output in cell.get("outputs", []) if cell.cell_type == "code" else []:
            data = output.get("data", {}).get(DOCUMENT_INFO_MIMETYPE)
            if isinstance(data, Mapping):
                return dict(data)
    return {}


class BriefingMetadataPreprocessor(Preprocessor):
    """Put the document metadata the template writes into ``<head>`` in
    ``resources["briefing"]``: title, authors, subject, keywords, generator, creation date,
    briefkit's own keys (data fingerprint, period, parameters) and the export's file name.

    WeasyPrint copies ``<title>``, ``<meta name="author">``, ``description`` (Subject),
    ``keywords``, ``generator`` and ``dcterms.created`` into the PDF's document information,
    and ``<html lang>`` into its catalogue; :func:`html_to_pdf` adds the ``briefkit.*`` metas
    as custom keys (:data:`PDF_CUSTOM_KEYS`). So the PDF metadata is a pure function of the
    notebook (no clock, no host), and the provenance stays out of the document's text.

    Title: notebook metadata ``title`` (or ``briefkit.title``), else the first heading (with
    the unit's name after it when the notebook displayed its document information), else the
    notebook's file name. Creation date: notebook metadata ``briefkit.created`` (W3C date)
    when the pipeline records one; otherwise none, rather than the wall clock.
    """

    def preprocess(self, nb: NotebookNode,
                   resources: dict[str, Any]) -> tuple[NotebookNode, dict[str, Any]]:
        own = nb.metadata.get("briefkit", {}) or {}
        info = document_info_of(nb)
        title = nb.metadata.get("title") or own.get("title")
        if not title:
            title = first_heading(nb)
            if title and info.get("title_suffix"):
                title = f"{title} – {info['title_suffix']}"
        title = title or resources.get("metadata", {}).get("name") or DEFAULT_TITLE
        authors = [a.get("name", "") if isinstance(a, Mapping) else str(a)
                   for a in nb.metadata.get("authors", []) or []]
        if not authors and info.get("author"):
            authors = [str(info["author"])]
        custom = info.get("custom")
        custom = custom if isinstance(custom, Mapping) else {}
        resources["briefing"] = {
            "title": _SPACES.sub(" ", str(title)).strip(),
            "authors": [a for a in authors if a],
            "subject": str(info.get("subject") or "") or None,
            "keywords": [str(k).replace(",", " ") for k in info.get("keywords") or []],
            "custom": {str(k): str(v) for k, v in sorted(custom.items())
                       if str(k) in PDF_CUSTOM_KEYS},
            "file_stem": str(info.get("file_stem") or "") or None,
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


def svg_base64(svg: str | list[str]) -> str:
    """An SVG document as the base64 payload of a ``data:image/svg+xml`` URL (see the
    template): :func:`inline_svg`'s clean-up (no DOCTYPE naming a W3C URL), UTF-8."""
    import base64

    return base64.b64encode(inline_svg(svg).encode("utf-8")).decode("ascii")


def data_uri_payload(data: str | list[str]) -> str:
    """Base64 image data as stored in a notebook, without the line breaks some writers add."""
    text = "".join(data) if isinstance(data, list) else str(data)
    return re.sub(r"\s+", "", text)


# ---------------------------------------------------------------------------------------------
# Exporters


def _name_export(resources: dict[str, Any]) -> None:
    """``jupyter nbconvert --to briefing_pdf`` names its output after ``unique_key`` (the
    notebook's name unless ``--output`` gave one): when it is still the notebook's name, use
    the file name the document settings give the document (``BC-TTHC_TP_2023Q4``), which
    the notebook displayed with its document information."""
    stem = (resources.get("briefing") or {}).get("file_stem")
    name = (resources.get("metadata") or {}).get("name")
    if stem and name and resources.get("unique_key") == name:
        resources["unique_key"] = stem


def _name_download(resources: dict[str, Any]) -> None:
    """JupyterLab's *Save and Export Notebook As* downloads from jupyter_server's
    ``/nbconvert/<format>/<path>?download=true``, which names the file
    ``<notebook stem> + resources["output_extension"]`` and nothing else (it passes neither
    ``unique_key`` nor an output name). So, for that caller only, the extension is prefixed
    with the document's file name from the settings: ``unit_briefing.ipynb`` exported to a
    briefing PDF downloads as ``unit_briefing_BC-TTHC_TP_2023Q4.pdf``, carrying the unit and
    the period; a notebook saved under the document's name downloads as
    ``BC-TTHC_TP_2023Q4.pdf``.

    jupyter_server is recognised by its resources: ``config_dir`` without ``unique_key``
    (``jupyter nbconvert`` gives both and names its output by :func:`_name_export`; the
    batch and :func:`render_documents` give neither and write to paths of their own)."""
    stem = (resources.get("briefing") or {}).get("file_stem")
    name = (resources.get("metadata") or {}).get("name")
    extension = resources.get("output_extension")
    if ("config_dir" not in resources or "unique_key" in resources or not stem or not name
            or stem == name or not extension):
        return
    resources["output_extension"] = f"_{stem}{extension}"


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
        # The document information (briefkit.document) comes first: it is metadata for the
        # head, printed nowhere (the template's data_other block is empty).
        c = Config({"NbConvertBase": {"display_data_priority": [
            DOCUMENT_INFO_MIMETYPE, "text/html", "text/markdown", "image/svg+xml",
            "image/png", "image/jpeg", "text/latex", "text/plain",
        ]}})
        base: Config = super().default_config.copy()
        base.merge(c)
        return base

    def default_filters(self) -> Any:
        yield from super().default_filters()  # type: ignore[no-untyped-call]  # nbconvert's
        # the template's text (title and metadata with a unit's name, error messages): escaped
        # and with its control characters shown, as the blocks' text (briefkit.textsafety)
        yield ("escape_html", html_text)
        yield ("inline_svg", inline_svg)
        yield ("svg_base64", svg_base64)
        yield ("data_uri_payload", data_uri_payload)

    def from_notebook_node(  # type: ignore[override]
        self, nb: NotebookNode, resources: dict[str, Any] | None = None, **kw: Any
    ) -> tuple[str, dict[str, Any]]:
        """Render the template without HTMLExporter's BeautifulSoup round trip: that pass
        lower-cases inline SVG (``viewBox`` → ``viewbox``), adds English alt texts and costs
        a full re-parse; the template writes alt texts itself."""
        langinfo = nb.metadata.get("language_info", {})
        lexer = langinfo.get("pygments_lexer", langinfo.get("name", None))
        self.register_filter("highlight_code", self.filters.get(  # type: ignore[no-untyped-call]
            "highlight_code", Highlight2HTML(pygments_lexer=lexer, parent=self)))
        text, resources = TemplateExporter.from_notebook_node(self, nb, resources, **kw)
        _name_export(resources)
        _name_download(resources)
        return text, resources


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
        _name_download(resources)
        return pdf, resources


# ---------------------------------------------------------------------------------------------
# PDF resources built once per process (per thread), and the font timestamps


#: The template's stylesheet, which ``index.html.j2`` inlines in every briefing.
STYLESHEET = TEMPLATES_DIR / TEMPLATE_NAME / "static" / "briefing.css"


@dataclass(frozen=True)
class _PdfResources:
    """What every PDF of a process shares: one font configuration, the template's stylesheet
    parsed once (with that configuration) and the ``<style>`` block the HTML carries it in."""

    font_config: Any
    stylesheet: Any
    inline_block: str
    fetcher: Any


_local = threading.local()  # WeasyPrint objects are not shared between threads
#: The parsed stylesheet that replaces the inline one while one document is laid out.
_preloaded: ContextVar[Any] = ContextVar("briefkit_preloaded_stylesheet", default=None)
#: fontTools reads SOURCE_DATE_EPOCH from the process environment: one writer at a time.
_epoch_lock = threading.Lock()


def _inline_block(css_text: str) -> str:
    """The block nbconvert's ``resources.include_css`` writes for a stylesheet (HTMLExporter:
    ``<style type="text/css">\n{source}</style>``)."""
    return f'<style type="text/css">\n{css_text}</style>'


def _install_stylesheet_hook() -> bool:
    """Let WeasyPrint take an already parsed stylesheet as the document's first author
    stylesheet, in place of the inline ``<style>`` removed from the HTML it parses.

    WeasyPrint's public way to pass a parsed :class:`weasyprint.CSS` (``stylesheets=``) gives
    it the *user* origin, below presentational hints and any author rule: a pandas table's
    ``border="1"`` would then win over the stylesheet's borders, and the PDF would change. So
    ``weasyprint.css.find_stylesheets``, the generator of a document's author stylesheets, is
    wrapped to yield the preloaded sheet first (where the inline block stood: it is the first
    stylesheet of the template's ``<head>``), and only while :func:`html_to_pdf` lays out a
    document that had the block removed. Returns False, and the stylesheet is parsed with
    each document as before, when WeasyPrint no longer has that function.
    """
    import weasyprint.css as wcss

    original = getattr(wcss, "find_stylesheets", None)
    if original is None or not callable(original):
        return False
    if getattr(original, "_briefkit_original", None) is not None:
        return True
    if "find_stylesheets" not in wcss.get_all_computed_styles.__code__.co_names:
        return False

    def find_stylesheets(*args: Any, **kwargs: Any) -> Iterator[Any]:
        sheet = _preloaded.get()
        if sheet is not None:
            yield sheet
        yield from original(*args, **kwargs)

    find_stylesheets._briefkit_original = original  # type: ignore[attr-defined]
    wcss.find_stylesheets = find_stylesheets
    return True


def _release_pdf_resources() -> None:
    """Drop this thread's PDF resources while the interpreter is still whole (registered with
    :mod:`atexit`). Left to the interpreter's teardown, the font configuration's Pango objects
    are released after the libraries' state is gone: a segmentation fault at exit, seen with
    ``jupyter nbconvert --to briefing_pdf``. Threads that end release theirs in passing."""
    with contextlib.suppress(AttributeError):
        del _local.pdf
    gc.collect()


def _pdf_resources() -> _PdfResources | None:
    """This thread's shared PDF resources (built on first use); None when the stylesheet
    cannot be handed to WeasyPrint parsed (then each document parses its own)."""
    if hasattr(_local, "pdf"):
        shared: _PdfResources | None = _local.pdf
        return shared
    if threading.current_thread() is threading.main_thread():
        atexit.register(_release_pdf_resources)
    from weasyprint import CSS
    from weasyprint.text.fonts import FontConfiguration
    from weasyprint.urls import URLFetcher

    from briefkit import svgtext

    svgtext.install()  # the charts' labels drawn a run at a time
    resources = None
    if _install_stylesheet_hook():
        font_config = FontConfiguration()
        css_text = STYLESHEET.read_text(encoding="utf-8")
        fetcher = URLFetcher(allowed_protocols=set(OFFLINE_PROTOCOLS))
        stylesheet = CSS(string=css_text, base_url=STYLESHEET.parent.as_uri() + "/",
                         url_fetcher=fetcher, media_type="print", font_config=font_config)
        resources = _PdfResources(font_config, stylesheet, _inline_block(css_text), fetcher)
    _local.pdf = resources
    return resources


def _parse_created(value: str | None) -> _dt.datetime | None:
    """A W3C date-time (``dcterms.created``) as an aware datetime: a bare date is the
    document's 00:00 Vietnamese time (:func:`briefkit.clock.document_timestamp`), a time
    without offset Vietnamese time. None for no date or one that cannot be read (WeasyPrint
    then writes no creation date either)."""
    if not value:
        return None
    text = str(value).strip()
    partial = re.fullmatch(r"(\d{4})(?:-(\d{2}))?", text)
    try:
        if partial:
            return document_timestamp(_dt.date(int(partial[1]), int(partial[2] or 1), 1))
        if len(text) == 10:
            return document_timestamp(_dt.date.fromisoformat(text))
        when = _dt.datetime.fromisoformat(text)
    except ValueError:
        return None
    return when if when.tzinfo is not None else when.replace(tzinfo=LOCAL_TZ)


def font_epoch(created: str | None) -> int:
    """The ``SOURCE_DATE_EPOCH`` a PDF is written under: its creation date
    (``dcterms.created``: :func:`briefkit.clock.document_epoch` of the document's date when the
    pipeline recorded the document timestamp), else 0.

    It fixes the time fontTools stamps into the ``head`` table of every font it writes (the
    subsets when HarfBuzz's subsetter is missing, instanced variable fonts, colour fonts),
    which otherwise is the second the PDF was written. A PDF without a creation date gets 0
    (1970-01-01), a value derived from nothing variable, so that its bytes depend on the
    notebook alone, not on the clock nor on a ``SOURCE_DATE_EPOCH`` the caller happens to
    have set.
    """
    when = _parse_created(created)
    return int(when.timestamp()) if when is not None else 0


@contextlib.contextmanager
def source_date_epoch(epoch: int) -> Iterator[None]:
    """``SOURCE_DATE_EPOCH`` set to ``epoch`` for the duration of the block, the previous
    value (or its absence) restored afterwards. Blocks of different threads run one after
    the other, since the environment is the process's."""
    with _epoch_lock:
        previous = os.environ.get(SOURCE_DATE_EPOCH)
        os.environ[SOURCE_DATE_EPOCH] = str(int(epoch))
        try:
            yield
        finally:
            if previous is None:
                os.environ.pop(SOURCE_DATE_EPOCH, None)
            else:
                os.environ[SOURCE_DATE_EPOCH] = previous


# ---------------------------------------------------------------------------------------------
# Functions the pipeline calls


def html_to_pdf(html_text: str, base_url: str | None = None) -> bytes:
    """PDF bytes for a briefing HTML document (WeasyPrint, print media, offline).

    Only ``data:`` and ``file:`` URLs are fetched: on a closed network an ``http`` fetch would
    hang until its timeout, and a briefing must not depend on anything outside its file.
    ``presentational_hints`` honours HTML attributes such as ``width`` on images and the
    ``border`` of pandas tables. Fonts are embedded as subsets.

    Reproducible: the creation date is the document's ``dcterms.created`` (none without
    one), there is no modification date nor file identifier, and the fonts are written under
    :func:`font_epoch`, so the bytes depend on the HTML alone.

    Fast: the template's stylesheet is parsed once per process with one font configuration
    (see :func:`_install_stylesheet_hook`) instead of once per document; the HTML handed to
    WeasyPrint is the same string minus its inline copy of that stylesheet.
    """
    # deferred: importing WeasyPrint loads Pango, which the HTML export does not need
    from weasyprint import HTML
    from weasyprint.urls import URLFetcher

    shared = _pdf_resources()
    token = None
    if shared is not None and shared.inline_block in html_text:
        html_text = html_text.replace(shared.inline_block, "", 1)
        token = _preloaded.set(shared.stylesheet)
    try:
        if shared is not None:
            fetcher, font_config = shared.fetcher, shared.font_config
        else:
            fetcher, font_config = URLFetcher(allowed_protocols=set(OFFLINE_PROTOCOLS)), None
        document = HTML(string=html_text, base_url=base_url, url_fetcher=fetcher).render(
            font_config=font_config, **_PDF_OPTIONS)
    finally:
        if token is not None:
            _preloaded.reset(token)
    _custom_metadata(document.metadata)
    with source_date_epoch(font_epoch(document.metadata.created)):
        pdf: bytes = document.write_pdf(**{**_PDF_OPTIONS, "custom_metadata": True})
        return pdf


def _custom_metadata(metadata: Any) -> None:
    """Keep, of the head's other ``<meta>``, only briefkit's (:data:`PDF_CUSTOM_KEYS`, under
    their PDF names), for WeasyPrint's ``custom_metadata`` (a ``viewport`` key has no business
    in a PDF's document information)."""
    custom = getattr(metadata, "custom", None) or {}
    metadata.custom = {PDF_CUSTOM_KEYS[name]: value for name, value in sorted(custom.items())
                       if name in PDF_CUSTOM_KEYS}


_exporters = threading.local()


def _default_exporter() -> BriefingHTMLExporter:
    """This thread's briefing exporter, built once (the template environment with it)."""
    exporter = getattr(_exporters, "html", None)
    if exporter is None:
        # nbconvert's Exporter.__init__ is unannotated
        exporter = _exporters.html = BriefingHTMLExporter()  # type: ignore[no-untyped-call]
    return exporter


def _local_folder(base_url: str | None) -> str:
    """The local folder a base URL names ("" for none or a remote one): where nbconvert looks
    for the images a markdown cell links, to embed them."""
    if not base_url:
        return ""
    parsed = urllib.parse.urlparse(base_url)
    if parsed.scheme == "file":
        return urllib.request.url2pathname(parsed.path)
    return base_url if not parsed.scheme or len(parsed.scheme) == 1 else ""  # C:\… is a path


def _export_html(nb: NotebookNode, resources: dict[str, Any],
                 exporter: BriefingHTMLExporter | None = None) -> str:
    text, _ = (exporter or _default_exporter()).from_notebook_node(nb, resources=resources)
    return text


def render_documents(nb: NotebookNode, *, name: str = "",
                     base_url: str | None = None) -> tuple[str, bytes]:
    """The briefing HTML text and PDF bytes of an executed notebook, in memory.

    ``name`` is the notebook's name (the title when neither its metadata nor a heading gives
    one; :func:`render_notebook` uses the file's stem); ``base_url`` is the folder relative
    links resolve against (a path ending in "/" or a ``file:`` URL; None: none), where
    markdown images are embedded from too. The notebook is not modified.

    The exporter, the font configuration and the parsed stylesheet are built once per process
    (per thread) and reused, which is what batch workers want; the PDF is derived from the
    very HTML returned. Both are byte-identical for the same notebook, whatever the process or
    the time (see :func:`html_to_pdf`).
    """
    text = _export_html(nb, {"metadata": {"name": name, "path": _local_folder(base_url)}})
    return text, html_to_pdf(text, base_url=base_url)


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
    """Write the briefing HTML (and the PDF when ``pdf_path`` is given) for a notebook (a node
    or an ``.ipynb`` path).

    The same rendering as :func:`render_documents` (and its per-process resources), written
    to files: the HTML is exported once and the PDF derived from that same string, so both
    show the same content; both files are written atomically (a reader never sees a torn
    file). Markdown images are embedded from the notebook's folder; in the PDF, relative URLs
    resolve against the HTML file's folder, as they would in a browser. ``exporter`` replaces
    the briefing exporter. Returns the paths written.
    """
    node, resources = _read_notebook(nb)
    text = _export_html(node, resources, exporter)
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
    "STYLESHEET",
    "TEMPLATES_DIR",
    "BriefingHTMLExporter",
    "BriefingMetadataPreprocessor",
    "BriefingPDFExporter",
    "DropStreamsPreprocessor",
    "StripNotebookStylePreprocessor",
    "first_heading",
    "font_epoch",
    "html_to_pdf",
    "inline_svg",
    "render_documents",
    "render_notebook",
    "set_document_metadata",
    "source_date_epoch",
    "svg_base64",
]
