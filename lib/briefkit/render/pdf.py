"""HTML → PDF with WeasyPrint, and the resources every PDF of a process shares.

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
document timestamp, 00:00 of the document's date in Vietnam:
:func:`~briefkit.render.api.set_document_metadata`), or none; it has no modification date and
no file identifier; and it is written with ``SOURCE_DATE_EPOCH`` set to that date
(:func:`font_epoch`, 0 without one), the time fontTools stamps into the fonts it writes
instead of the current second.
"""

from __future__ import annotations

import atexit
import contextlib
import datetime as _dt
import gc
import os
import re
import threading
from collections.abc import Iterator
from contextvars import ContextVar
from dataclasses import dataclass
from typing import Any

from briefkit.clock import LOCAL_TZ, SOURCE_DATE_EPOCH, document_timestamp
from briefkit.render.template import PDF_CUSTOM_KEYS, STYLESHEET

#: The only URL schemes the PDF renderer may read: embedded data and local files.
OFFLINE_PROTOCOLS = frozenset({"data", "file"})
#: WeasyPrint's options for every PDF (``presentational_hints``: see :func:`html_to_pdf`).
_PDF_OPTIONS: dict[str, Any] = {"presentational_hints": True}


# ---------------------------------------------------------------------------------------------
# PDF resources built once per process (per thread), and the font timestamps


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
# HTML → PDF


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

