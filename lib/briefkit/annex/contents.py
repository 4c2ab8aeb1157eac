"""What the annex says: its sheets' names, titles and running notices, the labels of its
headings and provenance, and the KPIs of the "Chỉ tiêu" sheet (see :mod:`briefkit.annex`)."""

from __future__ import annotations

from collections.abc import Mapping

from briefkit import bieu06, wording
from briefkit.kpis import KPIS, shown_in
from briefkit.labels import KIND_LABELS

SHEET_BIEU06 = "Biểu 06"
SHEET_KPI = "Chỉ tiêu"
SHEET_KPI_DATA = "KPI (dữ liệu)"
SHEET_SOURCES = "Nguồn dữ liệu"

BIEU06_FORM = bieu06.FORM_CODE
#: The form's title; a province using its own wording passes ``title=`` to :func:`write_annex`.
BIEU06_TITLE = bieu06.TITLE
KPI_TITLE = ("KẾT QUẢ THỰC HIỆN CÁC CHỈ TIÊU VỀ GIẢI QUYẾT THỦ TỤC HÀNH CHÍNH, "
             "DỊCH VỤ CÔNG TRỰC TUYẾN")
SOURCES_TITLE = "NGUỒN DỮ LIỆU VÀ THAM SỐ TÍNH TOÁN"
#: The running header of the data sheet's printed pages.
DATA_SHEET_NOTICE = "Dữ liệu dạng máy đọc (trùng khớp kpis.csv), không thuộc phụ lục in"
#: The running header of the provenance sheet's printed pages.
SOURCES_SHEET_NOTICE = "Thông tin kiểm tra nguồn gốc số liệu, không thuộc phụ lục in"
#: The sheets that make the printed annex (the provenance and the machine data are not part
#: of it: they carry hashes, the toolkit's version, file names).
PRINTED_SHEETS = (SHEET_BIEU06, SHEET_KPI)
#: Vietnamese labels of the provenance keys (:func:`briefkit.manifest.provenance`) on the
#: "Nguồn dữ liệu" sheet; other keys are shown as they are.
PROVENANCE_LABELS: dict[str, str] = {
    "period": "Kỳ báo cáo",
    "period_spec": "Mã kỳ báo cáo",
    "convention": "Cách tính kỳ",
    "data_sha256": "Mã băm dữ liệu (sha256)",
    "version": "Phiên bản briefkit",
    "generated_at": "Thời điểm lập",
}
#: Vietnamese labels of the run's parameters (one row each, "Tham số: …").
PARAMETER_LABELS: dict[str, str] = {
    "data_dir": "thư mục dữ liệu",
    "period": "kỳ",
    "convention": "cách tính kỳ",
    "targets_file": "tệp chỉ tiêu",
    "header_file": "tệp thiết lập văn bản",
    "index766_file": "tệp trọng số Quyết định 766",
    "units": "đơn vị được chọn",
    "unit_id": "mã đơn vị",
}
_CONVENTION_WORDS = {"calendar": "theo lịch",
                     "nd09": "theo Nghị định 09/2019/NĐ-CP (từ ngày 15 tháng trước đến "
                             "ngày 14)"}
GRAND_TOTAL_LABEL = bieu06.GRAND_TOTAL_LABEL

#: Group headings of Biểu 06 by unit kind: the table shared with the HTML Biểu 06
#: (:mod:`briefkit.labels`); callers extend it with ``kind_labels=``.
DEFAULT_KIND_LABELS: Mapping[str, str] = KIND_LABELS

#: Headings of the "Chỉ tiêu" sheet's top header row, by :attr:`KpiDef.group
#: <briefkit.kpis.KpiDef.group>`; they repeat on every printed page.
KPI_GROUP_LABELS: Mapping[str, str] = {
    "online": "Dịch vụ công trực tuyến",
    "timeliness": "Tiến độ giải quyết hồ sơ",
    "documents": "Văn bản điện tử",
    "index766": "Chỉ số theo QĐ 766",
    "bieu06": "Kết quả giải quyết hồ sơ",
    "postal": "Dịch vụ bưu chính công ích",
}
_OTHER_GROUP_LABEL = "Chỉ tiêu khác"

#: KPIs of the "Chỉ tiêu" sheet (declared on the KPI definitions, :attr:`KpiDef.shown
#: <briefkit.kpis.KpiDef.shown>`), in column order (those absent from the table are
#: skipped): by group, so each printed page covers whole groups where it can.
ANNEX_KPIS: tuple[str, ...] = tuple(sorted(
    shown_in("annex"), key=lambda k: list(KPI_GROUP_LABELS).index(KPIS[k].group)))


#: The "Đánh giá" words (:mod:`briefkit.wording`, shared with the HTML tables and the charts).
STATUS_TEXT: Mapping[str, str] = wording.STATUS_WORDS
