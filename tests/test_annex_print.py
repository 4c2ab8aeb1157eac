"""The annex as a clerk prints it: LibreOffice (headless) turns the workbook into a PDF, and
the pages are read back with pdftotext.

Printing the whole workbook gives the printed annex only (Biểu 06 and "Chỉ tiêu"): the
provenance and the machine-readable data are hidden sheets, neither printed nor exported, so
no hash, version or file name reaches paper. The form's frame and signature area are on it,
the numbers are written the Vietnamese way whatever the system's locale, and the signature
block shares its page with the table's last rows.

LibreOffice comes with the test dependencies (``scripts/test-deps.sh``, run by ``make test``).
"""

from __future__ import annotations

import datetime as dt
import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest

from briefkit.annex import write_annex
from briefkit.bieu06 import Frame
from briefkit.kpis import compute_kpis
from briefkit.periods import parse_period
from tests import kpi_fixture

SOFFICE = shutil.which("soffice") or shutil.which("libreoffice")
pytestmark = pytest.mark.skipif(SOFFICE is None, reason="LibreOffice is not installed "
                                "(scripts/test-deps.sh installs it)")
PERIOD = parse_period("2022Q1")
PROVENANCE = {"period": "2022Q1", "convention": "calendar", "data_sha256": "c" * 64,
              "version": "9.9.9", "parameters": {"data_dir": "/srv/secret/data"}}
FRAME = Frame("ỦY BAN NHÂN DÂN QUẬN 13", "UBND Thành phố", "Quận 13", dt.date(2022, 4, 5),
              "Lê Văn Cường", "Nguyễn Văn An")


def print_pdf(workbook: Path, out: Path) -> list[str]:
    """The workbook printed to PDF by LibreOffice under an English locale; the text of
    each page."""
    env = {**os.environ, "LANG": "en_US.UTF-8", "LC_ALL": "en_US.UTF-8", "HOME": str(out)}
    subprocess.run([str(SOFFICE), "--headless", "--norestore",
                    f"-env:UserInstallation=file://{out}/profile", "--convert-to", "pdf",
                    "--outdir", str(out), str(workbook)],
                   check=True, capture_output=True, timeout=180, env=env)
    pdf = out / (workbook.stem + ".pdf")
    text = subprocess.run(["pdftotext", "-layout", str(pdf), "-"], check=True,
                          capture_output=True, text=True).stdout
    return text.split("\f")[:-1]


@pytest.fixture(scope="module")
def pages(tmp_path_factory: pytest.TempPathFactory) -> list[str]:
    folder = tmp_path_factory.mktemp("print")
    table = compute_kpis(kpi_fixture.dataset(), PERIOD)
    big = table.assign(value=table["value"].where(table["kpi"] != "received_total",
                                                  table["value"] * 1000))
    path = write_annex(folder / "PL-TTHC_2022Q1.xlsx", big, PERIOD, PROVENANCE, frame=FRAME)
    return print_pdf(path, folder)


def test_only_the_printed_annex_prints(pages: list[str]) -> None:
    text = "\n".join(pages)
    assert "Biểu số 06/VPCP/KSTT" in pages[0]
    assert "KẾT QUẢ THỰC HIỆN CÁC CHỈ TIÊU" in text
    # neither the provenance nor the machine data: no hash, version, path or data sheet
    for internal in ("c" * 12, "9.9.9", "/srv/secret", "sha256", "NGUỒN DỮ LIỆU", "kpi_label",
                     "máy đọc"):
        assert internal not in text, internal
    assert len(pages) <= 4


def test_the_form_is_framed_and_signed(pages: list[str]) -> None:
    first = pages[0]
    for line in ("Đơn vị báo cáo: ỦY BAN NHÂN DÂN QUẬN 13", "Đơn vị nhận báo cáo: UBND Thành phố",
                 "Kỳ báo cáo: quý I/2022", "(Từ ngày 01/01/2022 đến ngày 31/03/2022)"):
        assert line in first, line
    last = next(p for p in pages if "Tổng cộng" in p)
    for words in ("Quận 13, ngày 05 tháng 4 năm 2022", "NGƯỜI LẬP BIỂU", "THỦ TRƯỞNG ĐƠN VỊ",
                  "Lê Văn Cường", "Nguyễn Văn An"):
        assert words in last, words  # on the page of the table's last row


def test_counts_keep_the_vietnamese_thousands_dot(pages: list[str]) -> None:
    """Under an English locale, the counts still read "10.000" (a literal dot in the
    format), and rates "50,00%" (LibreOffice honours the format's Vietnamese locale id)."""
    text = "\n".join(pages)
    assert re.search(r"\b\d{1,3}\.\d{3}\b", text)  # received_total × 1000
    assert not re.search(r"\b\d{1,3},\d{3}\b(?!%)", text)  # no English thousands comma
    assert re.search(r"\b\d{1,3},\d{2}%", text) and not re.search(r"\b\d{1,3}\.\d{2}%", text)


def test_the_rendered_table_matches_the_kpi_table(pages: list[str]) -> None:
    table = compute_kpis(kpi_fixture.dataset(), PERIOD)
    total = table[(table["unit_id"] == "*") & (table["kpi"] == "received_total")]["value"]
    figure = f"{int(total.iloc[0]) * 1000:,}".replace(",", ".")
    line = next(line for line in pages[0].splitlines() if "Tổng cộng" in line)
    assert figure in line
