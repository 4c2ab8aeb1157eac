"""The official document around the figures (issue 7): the closing block with the signature and
the recipients, no internals in the official text, the provenance in the PDF metadata, the
attachment names, and the document settings that drive them, validated with clear errors.

One `briefkit run` of the real notebooks on the hand-built district (shared by the module),
read back the way a clerk (and poppler, and openpyxl) sees it.
"""

from __future__ import annotations

import json
import re
import subprocess
from pathlib import Path
from typing import Any

import nbformat
import openpyxl
import pytest
from typer.testing import CliRunner

from briefkit import __version__, document, settings
from briefkit.annex import PRINTED_SHEETS
from briefkit.cli import app
from briefkit.problems import InputError
from briefkit.render import BriefingHTMLExporter
from tests import kpi_fixture
from tests.test_briefings import ROOT, TARGETS, needs_poppler

HEADER = """\
parent_body: "ỦY BAN NHÂN DÂN QUẬN 6"
issuing_body: "VĂN PHÒNG HĐND VÀ UBND"
number: "125/BC-VP"
place: "Quận 6"
date: 2022-04-20
signature:
  authority: ["TM. ỦY BAN NHÂN DÂN", "KT. CHỦ TỊCH"]
  title: "PHÓ CHỦ TỊCH"
  signer: "Nguyễn Văn An"
recipients:
  - "Thường trực Quận ủy (để báo cáo)"
  - "Chủ tịch, các Phó Chủ tịch UBND quận"
  - "Các phòng, ban chuyên môn"
archive: "VT, VP"
overview:
  signature: {signer: "Lê Văn Cường"}
units:
  "007":
    issuing_body: "UBND PHƯỜNG 7"
    signature:
      authority: ["TM. ỦY BAN NHÂN DÂN"]
      title: "CHỦ TỊCH"
      signer: "Phạm Thị Dung"
    recipients: ["UBND quận (để báo cáo)", "Văn phòng HĐND và UBND quận"]
    archive: "VT, UBND P7"
file_names:
  unit: "BaoCao_{slug}_{period}.pdf"
  overview: "TongHop_{period}"
  annex: "PhuLuc_{period}"
"""
DEFAULT_RECIPIENTS = ["- Thường trực Quận ủy (để báo cáo);",
                      "- Chủ tịch, các Phó Chủ tịch UBND quận;",
                      "- Các phòng, ban chuyên môn;", "- Lưu: VT, VP."]
HEX64 = re.compile(r"\b[0-9a-f]{64}\b")
HEX12 = re.compile(r"\b[0-9a-f]{12,}\b")


@pytest.fixture(scope="module")
def run(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    base = tmp_path_factory.mktemp("official")
    data = kpi_fixture.write_folder(base / "data")
    (base / "targets.yaml").write_text(TARGETS, encoding="utf-8")
    (base / "header.yaml").write_text(HEADER, encoding="utf-8")
    out = base / "out"
    result = CliRunner().invoke(app, [
        "run", "--data", str(data), "--period", "2022Q1", "--targets",
        str(base / "targets.yaml"), "--header", str(base / "header.yaml"), "--units",
        "TP,007", "--notebooks", str(ROOT / "notebooks"), "--out", str(out), "--no-progress",
        "--workers", "2"])
    assert result.exit_code == 0, result.output
    folder = out / "2022Q1"
    return {"base": base, "data": data, "folder": folder,
            "manifest": json.loads((folder / "manifest.json").read_text("utf-8")),
            "tp": folder / "TP" / "BaoCao_TP_2022Q1.pdf",
            "ward": folder / "007" / "BaoCao_007_2022Q1.pdf",
            "overview": folder / "TongHop_2022Q1.pdf", "annex": folder / "PhuLuc_2022Q1.xlsx"}


def pdf_pages(path: Path) -> list[str]:
    done = subprocess.run(["pdftotext", "-layout", str(path), "-"], check=True,
                          capture_output=True, text=True)
    return [" ".join(page.split()) for page in done.stdout.split("\f") if page.strip()]


def pdf_info(path: Path) -> dict[str, str]:
    done = subprocess.run(["pdfinfo", "-custom", "-enc", "UTF-8", str(path)], check=True,
                          capture_output=True, text=True)
    return {k.strip(): v.strip() for k, _, v in
            (line.partition(":") for line in done.stdout.splitlines()) if v}


def html_body(path: Path) -> str:
    """The HTML's body without its embedded images (base64 is no text anyone reads)."""
    text = path.read_text(encoding="utf-8")
    return re.sub(r'src="data:[^"]*"', "", text[text.index("<body"):])


# ------------------------------------------------------------------ names


def test_attachment_names_follow_the_settings_pattern(run: dict[str, Any]) -> None:
    folder = run["folder"]
    for unit in ("TP", "007"):
        assert sorted(p.name for p in (folder / unit).iterdir()) == [
            f"BaoCao_{unit}_2022Q1.{ext}" for ext in ("html", "ipynb", "pdf")]
    names = {p.name for p in folder.iterdir()}
    assert {"TongHop_2022Q1.ipynb", "TongHop_2022Q1.html", "TongHop_2022Q1.pdf",
            "PhuLuc_2022Q1.xlsx", "kpis.csv", "manifest.json"} <= names
    assert not names & {"overview.pdf", "annex.xlsx"}
    assert "TP/BaoCao_TP_2022Q1.pdf" in run["manifest"]["outputs"]


def test_default_file_names_carry_unit_and_period() -> None:
    assert settings.file_stem({}, "unit", period="2023Q4", slug="TP", unit_id="TP") == \
        "BC-TTHC_TP_2023Q4"
    assert settings.file_stem({}, "overview", period="2023Q4") == "BC-TTHC_tong-hop_2023Q4"
    assert settings.file_stem({}, "annex", period="2023Q4") == "PL-TTHC_2023Q4"
    odd = {"file_names": {"unit": "Báo cáo {unit_id} – {period}"}}
    assert settings.file_stem(odd, "unit", period="2022-01..2022-07", unit_id="Phường 1") == \
        "Bao_cao_Phuong_1_2022-01..2022-07"


def test_the_export_from_jupyter_gets_the_same_name(run: dict[str, Any]) -> None:
    executed = nbformat.read(run["folder"] / "TP" / "BaoCao_TP_2022Q1.ipynb", as_version=4)
    resources = {"metadata": {"name": "unit_briefing", "path": ""},
                 "unique_key": "unit_briefing"}
    _, resources = BriefingHTMLExporter().from_notebook_node(executed, resources=resources)
    assert resources["unique_key"] == "BaoCao_TP_2022Q1"
    given = {"metadata": {"name": "unit_briefing", "path": ""}, "unique_key": "mine"}
    _, given = BriefingHTMLExporter().from_notebook_node(executed, resources=given)
    assert given["unique_key"] == "mine"  # --output wins


# ------------------------------------------------------------------ closing block


@needs_poppler
def test_unit_briefing_ends_with_signature_and_recipients(run: dict[str, Any]) -> None:
    pages = pdf_pages(run["tp"])
    last = pages[-1]
    for line in ["Nơi nhận:", *DEFAULT_RECIPIENTS, "TM. ỦY BAN NHÂN DÂN", "KT. CHỦ TỊCH",
                 "PHÓ CHỦ TỊCH", "Nguyễn Văn An"]:
        assert line in last, line
    # recipients in order, the archive line last
    spots = [last.index(line) for line in DEFAULT_RECIPIENTS]
    assert spots == sorted(spots)
    # the block is not alone on its page: the end of the body is there too
    before = last[:last.index("Nơi nhận:")].split()
    assert len(before) > 3, last[:200]


@needs_poppler
def test_unit_override_signs_and_addresses_the_ward_briefing(run: dict[str, Any]) -> None:
    text = " ".join(pdf_pages(run["ward"]))
    for line in ["UBND PHƯỜNG 7", "Nơi nhận:", "- UBND quận (để báo cáo);",
                 "- Văn phòng HĐND và UBND quận;", "- Lưu: VT, UBND P7.", "CHỦ TỊCH",
                 "Phạm Thị Dung"]:
        assert line in text, line
    assert "Nguyễn Văn An" not in text and "Thường trực Quận ủy" not in text


@needs_poppler
def test_overview_has_the_closing_block_with_its_override(run: dict[str, Any]) -> None:
    last = pdf_pages(run["overview"])[-1]
    for line in ["Nơi nhận:", *DEFAULT_RECIPIENTS, "TM. ỦY BAN NHÂN DÂN", "PHÓ CHỦ TỊCH",
                 "Lê Văn Cường"]:
        assert line in last, line
    assert "Nguyễn Văn An" not in last


def test_closing_html_layout_and_reference_line() -> None:
    base = {"issuing_body": "X", "signature": {"title": "Chủ tịch", "signer": "A"},
            "recipients": ["- Như trên;", "Sở Nội vụ."], "archive": "Lưu: VT"}
    html = document.closing_html(base)
    assert '<p class="bk-recipients-title">Nơi nhận:</p>' in html
    assert [m for m in re.findall(r'class="bk-recipient">([^<]*)<', html)] == [
        "- Như trên;", "- Sở Nội vụ;", "- Lưu: VT."]
    assert '<p class="bk-authority">CHỦ TỊCH</p>' in html  # titles in capitals
    assert '<p class="bk-signer">A</p>' in html and "bk-reference" not in html
    provenance = {"period": "quý I/2022", "data_sha256": "f" * 64}
    assert "bk-reference" not in document.closing_html(base, provenance=provenance)
    line = document.closing_html({**base, "reference_line": True}, provenance=provenance)
    assert 'Kỳ báo cáo: <span class="bk-nowrap">quý I/2022</span> · Dữ liệu: ffffffffffff' \
        in line and "f" * 13 not in line


def test_closing_block_keeps_with_the_last_paragraph_in_the_stylesheet() -> None:
    from briefkit.render import STYLESHEET

    css = STYLESHEET.read_text(encoding="utf-8")
    rule = css[css.index("table.bk-closing {"):]
    rule = rule[:rule.index("}")]
    assert "break-before: avoid" in rule and "break-inside: avoid" in rule


# ------------------------------------------------------------------ no internals in the text


def _internals(text: str, run: dict[str, Any]) -> list[str]:
    found = []
    for needle in (str(run["base"]), str(run["data"]), "data_dir=", "data_dir =",
                   f"briefkit {__version__}", "sha256"):
        if needle in text:
            found.append(needle)
    found += HEX64.findall(text) + HEX12.findall(text)
    return found


@needs_poppler
def test_no_path_parameters_hash_or_version_in_the_pdfs(run: dict[str, Any]) -> None:
    for pdf in (run["tp"], run["ward"], run["overview"]):
        assert _internals(" ".join(pdf_pages(pdf)), run) == [], pdf.name


def test_no_path_parameters_hash_or_version_in_the_html_bodies(run: dict[str, Any]) -> None:
    for html in (run["tp"].with_suffix(".html"), run["ward"].with_suffix(".html"),
                 run["overview"].with_suffix(".html")):
        assert _internals(html_body(html), run) == [], html.name


def test_no_path_hash_or_version_on_the_printed_annex_sheets(run: dict[str, Any]) -> None:
    book = openpyxl.load_workbook(run["annex"])
    for name in PRINTED_SHEETS:
        ws = book[name]
        texts = [c for row in ws.iter_rows(values_only=True) for c in row
                 if isinstance(c, str)]  # numbers stay numbers: 0.6666… is no hash
        for part in (ws.oddHeader, ws.oddFooter, ws.firstHeader, ws.firstFooter):
            texts += [str(p.text) for p in (part.left, part.center, part.right) if p.text]
        assert _internals("\n".join(texts), run) == [], name


def test_annex_provenance_sheet_is_vietnamese_and_relative(run: dict[str, Any]) -> None:
    book = openpyxl.load_workbook(run["annex"])
    ws = book["Nguồn dữ liệu"]
    rows = {r[0]: r[1] for r in ws.iter_rows(min_row=4, values_only=True) if r[0]}
    assert rows["Kỳ báo cáo"] == "quý I/2022"
    assert rows["Mã băm dữ liệu (sha256)"] == run["manifest"]["inputs"]["data"]["sha256"]
    assert "Tệp dữ liệu units.csv (sha256)" in rows
    assert rows["Tham số: thư mục dữ liệu"] == "data"
    assert rows["Tham số: tệp chỉ tiêu"] == "targets.yaml"
    every = " ".join(str(v) for row in ws.iter_rows(values_only=True) for v in row if v)
    assert str(run["base"]) not in every


# ------------------------------------------------------------------ metadata


@needs_poppler
def test_provenance_reads_back_from_the_pdf_metadata(run: dict[str, Any]) -> None:
    units = {u["unit_id"]: u for u in run["manifest"]["units"]}
    info = pdf_info(run["tp"])
    assert info["BriefkitDataSHA256"] == units["TP"]["data_sha256"]
    assert info["BriefkitPeriod"] == "2022Q1" and info["BriefkitUnitID"] == "TP"
    assert info["BriefkitConvention"] == "calendar"
    assert info["BriefkitVersion"] == __version__
    parameters = json.loads(info["BriefkitParameters"])
    assert parameters["data_dir"] == "data" and parameters["targets_file"] == "targets.yaml"
    assert str(run["base"]) not in info["BriefkitParameters"]
    assert info["Title"].endswith("quý I/2022 – Phòng Tư pháp")
    assert "quý I/2022" in info["Subject"] and "Phòng Tư pháp" in info["Subject"]
    assert f"sha256:{units['TP']['data_sha256']}" in info["Keywords"]
    assert info["Author"] == "VĂN PHÒNG HĐND VÀ UBND"
    assert "2022" in info["CreationDate"]
    assert "viewport" not in info
    overview = pdf_info(run["overview"])
    assert overview["BriefkitDataSHA256"] == run["manifest"]["inputs"]["data"]["sha256"]
    assert "BriefkitUnitID" not in overview


def test_metadata_is_in_the_html_head_not_its_body(run: dict[str, Any]) -> None:
    html = run["tp"].with_suffix(".html").read_text(encoding="utf-8")
    head = html[:html.index("<body")]
    assert '<meta name="briefkit.data-sha256"' in head
    assert '<meta name="description"' in head and '<meta name="keywords"' in head
    assert "application/vnd.briefkit.document" not in html


# ------------------------------------------------------------------ settings validation


def write_settings(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "header.yaml"
    path.write_text(text, encoding="utf-8")
    return path


def messages(path: Path) -> list[str]:
    with pytest.raises(InputError) as caught:
        settings.load_settings(path)
    return [str(p) for p in caught.value.problems]


def test_settings_errors_name_the_file_and_the_key(tmp_path: Path) -> None:
    path = write_settings(tmp_path, """\
issuing_body: "VP"
signature: {title: "CHỦ TỊCH"}
recipients: ["A", "B", 3]
reference_line: "yes"
file_names: {unit: "BC_{period}", annex: "../PL"}
units:
  007: {signer: "X"}
  "TP": {recipients: "A"}
colour: red
""")
    found = messages(path)
    where = str(path)
    for expected in (
            f"{where}: signature.signer: missing",
            f"{where}: recipients[2]: must be text",
            f"{where}: reference_line: must be true or false",
            f"{where}: file_names.unit: must contain {{slug}} or {{unit_id}}",
            f"{where}: file_names.annex: a file name, not a path",
            f"{where}: units.7: a unit id must be text",
            f"{where}: units.TP.recipients: must be a list",
            f"{where}: colour: unknown key"):
        assert any(m.startswith(expected) for m in found), (expected, found)


def test_settings_need_an_issuing_body(tmp_path: Path) -> None:
    found = messages(write_settings(tmp_path, "place: Quận 6\n"))
    assert found == [f"{tmp_path / 'header.yaml'}: issuing_body: missing: the header needs "
                     "the issuing body"]


def test_shipped_settings_are_complete() -> None:
    shipped = settings.load_settings(ROOT / "params" / "header.yaml")
    own = settings.resolve(shipped)
    assert own["signature"]["signer"] and own["signature"]["title"]
    assert own["signature"]["authority"] and own["recipients"] and own["archive"]
    assert not own.get("reference_line")


def test_run_refuses_an_override_for_an_unknown_unit(tmp_path: Path) -> None:
    data = kpi_fixture.write_folder(tmp_path / "data")
    header = write_settings(tmp_path, 'issuing_body: "VP"\nunits:\n  "NOPE": {archive: "VT"}\n')
    result = CliRunner().invoke(app, [
        "run", "--data", str(data), "--period", "2022Q1", "--header", str(header),
        "--out", str(tmp_path / "out"), "--no-progress", "--workers", "0"])
    assert result.exit_code == 2
    assert "units.NOPE: unknown unit id" in " ".join(result.output.split())
    assert not (tmp_path / "out").exists()
