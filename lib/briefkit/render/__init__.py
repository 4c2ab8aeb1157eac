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

The modules, in the order a notebook flows through them:

* :mod:`~briefkit.render.preprocessors` — the notebook cleaned up and its document metadata
  found;
* :mod:`~briefkit.render.template` — the template's folder, its stylesheet and the
  ``briefkit.*`` metas of the ``<head>``; :mod:`~briefkit.render.filters` — the template's
  image filters (SVG inlined or base64, data URIs);
* :mod:`~briefkit.render.exporters` — the nbconvert exporters and how an export is named;
* :mod:`~briefkit.render.pdf` — HTML → PDF with WeasyPrint, the per-process PDF resources and
  the fonts' ``SOURCE_DATE_EPOCH``;
* :mod:`~briefkit.render.api` — what the pipeline calls: :func:`render_documents`,
  :func:`render_notebook`, :func:`set_document_metadata`.

Every name is importable from ``briefkit.render`` itself (the ``nbconvert.exporters`` entry
points and the template's ``conf.json`` name ``briefkit.render.<Class>``).
"""

from briefkit.render.api import (
    _default_exporter as _default_exporter,
    _export_html as _export_html,
    _exporters as _exporters,
    _local_folder as _local_folder,
    _read_notebook as _read_notebook,
    _w3c_date as _w3c_date,
    render_documents as render_documents,
    render_notebook as render_notebook,
    set_document_metadata as set_document_metadata,
)
from briefkit.render.exporters import (
    BriefingHTMLExporter as BriefingHTMLExporter,
    BriefingPDFExporter as BriefingPDFExporter,
    _name_download as _name_download,
    _name_export as _name_export,
)
from briefkit.render.filters import (
    _XML_PROLOGUE as _XML_PROLOGUE,
    data_uri_payload as data_uri_payload,
    inline_svg as inline_svg,
    svg_base64 as svg_base64,
)
from briefkit.render.pdf import (
    _PDF_OPTIONS as _PDF_OPTIONS,
    OFFLINE_PROTOCOLS as OFFLINE_PROTOCOLS,
    _custom_metadata as _custom_metadata,
    _epoch_lock as _epoch_lock,
    _inline_block as _inline_block,
    _install_stylesheet_hook as _install_stylesheet_hook,
    _local as _local,
    _parse_created as _parse_created,
    _pdf_resources as _pdf_resources,
    _PdfResources as _PdfResources,
    _preloaded as _preloaded,
    _release_pdf_resources as _release_pdf_resources,
    font_epoch as font_epoch,
    html_to_pdf as html_to_pdf,
    source_date_epoch as source_date_epoch,
)
from briefkit.render.preprocessors import (
    _MD_HEADING as _MD_HEADING,
    _MD_INLINE as _MD_INLINE,
    _SPACES as _SPACES,
    DEFAULT_TITLE as DEFAULT_TITLE,
    BriefingMetadataPreprocessor as BriefingMetadataPreprocessor,
    DropStreamsPreprocessor as DropStreamsPreprocessor,
    StripNotebookStylePreprocessor as StripNotebookStylePreprocessor,
    _first_html_heading as _first_html_heading,
    _FirstHeading as _FirstHeading,
    document_info_of as document_info_of,
    first_heading as first_heading,
)
from briefkit.render.template import (
    PDF_CUSTOM_KEYS as PDF_CUSTOM_KEYS,
    STYLESHEET as STYLESHEET,
    TEMPLATE_NAME as TEMPLATE_NAME,
    TEMPLATES_DIR as TEMPLATES_DIR,
)

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
