"""The exporters: :class:`BriefingHTMLExporter` (``jupyter nbconvert --to briefing_html``)
and :class:`BriefingPDFExporter` (``--to briefing_pdf``), registered as
``nbconvert.exporters`` entry points, and how an export is named."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from nbconvert.exporters import HTMLExporter, TemplateExporter
from nbconvert.filters.highlight import Highlight2HTML
from nbformat import NotebookNode
from traitlets import Unicode, default
from traitlets.config import Config

from briefkit.document import DOCUMENT_INFO_MIMETYPE
from briefkit.render.filters import data_uri_payload, inline_svg, svg_base64
from briefkit.render.pdf import html_to_pdf
from briefkit.render.template import TEMPLATE_NAME, TEMPLATES_DIR
from briefkit.textsafety import html_text


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

    @default("optimistic_validation")
    def _optimistic_validation_default(self) -> bool:
        # nbformat's schema check once, after the last preprocessor, instead of after each of
        # the fifteen (most of them disabled): ~15 ms a document, the same check of the result
        return True

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
