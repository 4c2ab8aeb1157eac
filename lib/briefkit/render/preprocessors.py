"""The briefing template's preprocessors (declared in its ``conf.json``, so each one can
be configured or swapped): stream outputs dropped (:class:`DropStreamsPreprocessor`), the
notebook-only style of each block stripped (:class:`StripNotebookStylePreprocessor`), and the
document metadata of the ``<head>`` found (:class:`BriefingMetadataPreprocessor`: the title
from the notebook metadata or its first heading, :func:`first_heading`)."""

from __future__ import annotations

import re
from collections.abc import Mapping
from html.parser import HTMLParser
from typing import Any

from nbconvert.preprocessors import Preprocessor
from nbformat import NotebookNode
from traitlets import Set

from briefkit import __version__, blocks
from briefkit.document import DOCUMENT_INFO_MIMETYPE
from briefkit.render.template import PDF_CUSTOM_KEYS

#: Title used when neither the notebook metadata nor any heading provides one.
DEFAULT_TITLE = "Báo cáo"

_MD_HEADING = re.compile(r"^ {0,3}#{1,6}[ \t]+(.+?)[ \t#]*$", re.MULTILINE)
_MD_INLINE = re.compile(r"[*_`]+|\[([^\]]*)\]\([^)]*\)")
_SPACES = re.compile(r"\s+")


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
