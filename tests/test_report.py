"""The HTML building blocks of a briefing: exact header pieces, escaping, Vietnamese numbers,
status words (on the hand-built district of kpi_fixture.py)."""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path

import pandas as pd
import pytest

from briefkit import __version__, annex, bieu06, clock, report
from briefkit.formatting import format_number
from briefkit.kpis import BIEU06_COLUMNS, KPIS, bieu06_frame, compute_kpis
from briefkit.periods import parse_period
from briefkit.targets import load_targets
from tests import kpi_fixture

HEADER = {
    "parent_body": "Ủy ban nhân dân Quận 6",
    "issuing_body": "Văn phòng HĐND và UBND",
    "number": "125/BC-VP",
    "place": "Quận 6",
    "date": "2022-05-20",
}


@pytest.fixture(scope="module")
def table(tmp_path_factory: pytest.TempPathFactory) -> pd.DataFrame:
    path: Path = tmp_path_factory.mktemp("targets") / "targets.yaml"
    path.write_text("2022:\n  online_rate: 0.8447\n  on_time_rate: {min: 0.5}\n"
                    "  pending_overdue: {max: 0}\n", encoding="utf-8")
    return compute_kpis(kpi_fixture.dataset(), parse_period("2022Q1"), load_targets(path))


def rows_of(fragment: str) -> list[str]:
    return re.findall(r"<tr[^>]*>.*?</tr>", fragment)


def cells_of(row_html: str) -> list[str]:
    """Cell texts of one table row, tags removed (the ratio span kept as text)."""
    return [re.sub(r"<[^>]+>", "", c) for c in re.findall(r"<t[dh][^>]*>(.*?)</t[dh]>",
                                                           row_html)]


# --------------------------------------------------------------------------- header, title


def test_header_pieces_are_exact() -> None:
    html = report.header_html(HEADER)
    assert '<div class="bk-parent-body">ỦY BAN NHÂN DÂN QUẬN 6</div>' in html
    assert '<div class="bk-issuing-body">VĂN PHÒNG HĐND VÀ UBND</div>' in html
    assert '<div class="bk-national-title">CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM</div>' in html
    assert '<div class="bk-motto">Độc lập - Tự do - Hạnh phúc</div>' in html
    assert '<div class="bk-number">Số: 125/BC-VP</div>' in html
    assert '<div class="bk-place-date">Quận 6, ngày 20 tháng 5 năm 2022</div>' in html
    # "Số" and the date share the second row, left and right
    second = rows_of(html)[1]
    assert cells_of(second) == ["Số: 125/BC-VP", "Quận 6, ngày 20 tháng 5 năm 2022"]


def test_header_date_defaults_to_today_and_accepts_dates(monkeypatch: pytest.MonkeyPatch
                                                         ) -> None:
    monkeypatch.setattr(report, "_today", lambda: dt.date(2022, 2, 5))
    html = report.header_html({**HEADER, "date": None})
    assert "Quận 6, ngày 05 tháng 02 năm 2022" in html
    html = report.header_html({**HEADER, "date": dt.datetime(2022, 3, 9, 15, 30)})
    assert "Quận 6, ngày 09 tháng 3 năm 2022" in html


def test_header_without_parent_body_and_escaping() -> None:
    html = report.header_html({"issuing_body": "Sở <Tư pháp> & Hộ tịch", "place": "Hà Nội",
                               "date": "2022-12-01"})
    assert "bk-parent-body" not in html
    assert "SỞ &lt;TƯ PHÁP&gt; &amp; HỘ TỊCH" in html
    assert "<TƯ" not in html


@pytest.mark.parametrize(("number", "symbol", "expected"), [
    ("125/BC-UBND", None, "Số: 125/BC-UBND"),
    ("12", "BC-UBND", "Số: 12/BC-UBND"),
    (7, None, "Số: 7/BC"),
    (None, "BC-UBND", "Số:\u00a0\u00a0\u00a0\u00a0\u00a0\u00a0/BC-UBND"),
    ("", None, "Số:\u00a0\u00a0\u00a0\u00a0\u00a0\u00a0/BC"),
])
def test_document_number(number: object, symbol: str | None, expected: str) -> None:
    assert report.document_number(number, symbol) == expected


def test_header_requires_issuing_body_and_place() -> None:
    with pytest.raises(ValueError, match="issuing_body"):
        report.header_html({**HEADER, "issuing_body": " "})
    with pytest.raises(ValueError, match="place"):
        report.header_html({**HEADER, "place": ""})


def test_title_block_is_exact() -> None:
    assert report.title_html("Báo cáo", "Kết quả giải quyết TTHC & DVCTT", "quý I/2022") == (
        '<div class="bk-title-block"><p class="bk-doctype">BÁO CÁO</p>'
        '<h1 class="bk-title">Kết quả giải quyết TTHC &amp; DVCTT</h1>'
        '<p class="bk-subtitle"><span class="bk-nowrap">quý I/2022</span></p>'
        '<div class="bk-title-rule"></div></div>')  # a period label never breaks
    two_lines = report.title_html("báo cáo", "Dòng một\nDòng <hai>")
    assert '<h1 class="bk-title">Dòng một<br>Dòng &lt;hai&gt;</h1>' in two_lines
    assert "bk-subtitle" not in two_lines


# --------------------------------------------------------------------------- KPI table


def test_kpi_table_rows(table: pd.DataFrame) -> None:
    kpis = ["received_total", "online_rate", "on_time_rate", "pending_overdue"]
    html = report.kpi_table_html(table, "TP", kpis)
    head, *body = rows_of(html)
    assert cells_of(head) == ["STT", "Chỉ tiêu", "Kết quả", "Chỉ tiêu giao", "Đánh giá",
                              "So với cùng kỳ"]
    assert [cells_of(r) for r in body] == [
        ["1", KPIS["received_total"].label, "10", "—", "Không áp dụng", "+10 hồ sơ"],
        ["2", KPIS["online_rate"].label, "50,00%(3/6)", "≥ 84,47%", "Chưa đạt", "—"],
        ["3", KPIS["on_time_rate"].label, "66,67%(4/6)", "≥ 50,00%", "Đạt", "—"],
        ["4", KPIS["pending_overdue"].label, "1", "≤ 0", "Chưa đạt", "+1 hồ sơ"],
    ]
    # the status is a word with a class for its tint
    assert '<span class="bk-status-notmet">Chưa đạt</span>' in html
    assert '<span class="bk-status-met">Đạt</span>' in html
    assert '<span class="bk-ratio">(3/6)</span>' in html


def test_kpi_table_change_in_points(table: pd.DataFrame) -> None:
    # UBND Phường 7: 2/4 online in Q1 2022, 0/1 in Q1 2021 -> +50,00 points
    html = report.kpi_table_html(table, "007", ["online_rate"])
    assert cells_of(rows_of(html)[1])[-1] == "+50,00 điểm phần trăm"


def test_kpi_table_defaults_and_errors(table: pd.DataFrame) -> None:
    html = report.kpi_table_html(table, "TP")
    assert len(rows_of(html)) == 1 + len(KPIS)
    with pytest.raises(KeyError, match="NOPE"):
        report.kpi_table_html(table, "NOPE")
    with pytest.raises(KeyError, match="not_a_kpi"):
        report.kpi_table_html(table, "TP", ["not_a_kpi"])


def test_kpi_table_without_targets_has_no_rule_column() -> None:
    plain = compute_kpis(kpi_fixture.dataset(), parse_period("2022Q1"))
    html = report.kpi_table_html(plain, "TP", ["online_rate"])
    # no target: no figure to aim at, and a judgement that does not apply (the same word as
    # the annex and the heat map's legend)
    assert cells_of(rows_of(html)[1])[3:5] == ["—", "Không áp dụng"]
    assert '<span class="bk-status-na">Không áp dụng</span>' in html


@pytest.mark.parametrize(("kpi", "diff", "expected"), [
    ("online_rate", 0.0429, "+4,29 điểm phần trăm"),
    ("online_rate", -0.04499999999999993, "−4,50 điểm phần trăm"),
    ("online_rate", 0.00001, "0,00 điểm phần trăm"),
    ("received_total", -120, "−120 hồ sơ"),
    ("received_total", 3043, "+3.043 hồ sơ"),
    ("procedures_online", 2, "+2 thủ tục"),
    ("index766_progress", -1.255, "−1,26 điểm"),
    ("received_total", float("nan"), "—"),
])
def test_signed_difference(kpi: str, diff: float, expected: str) -> None:
    assert report.signed_difference(KPIS[kpi], diff) == expected


# --------------------------------------------------------------------------- units ranking


def test_units_table_ranks_best_first_with_total(table: pd.DataFrame) -> None:
    html = report.units_table_html(table, "online_rate")
    head, *body = rows_of(html)
    assert cells_of(head)[2] == KPIS["online_rate"].label
    cells = [cells_of(r) for r in body]
    assert [c[1] for c in cells] == ["UBND Phường 9", "Phòng Tư pháp", "UBND Phường 7",
                                     "Phòng Nội vụ", "Toàn bộ các đơn vị"]
    assert cells[0] == ["1", "UBND Phường 9", "69,23%(9/13)", "≥ 84,47%", "−15,24 điểm phần trăm",
                        "Chưa đạt"]
    assert cells[3] == ["4", "Phòng Nội vụ", "—", "≥ 84,47%", "—", "Không áp dụng"]
    assert cells[4][0] == ""  # the total row has no STT
    assert 'class="bk-total"' in body[-1]
    without = report.units_table_html(table, "online_rate", with_total=False)
    assert "Toàn bộ các đơn vị" not in without


def test_units_table_escapes_names(table: pd.DataFrame) -> None:
    odd = table.assign(unit_name=table["unit_name"].replace("Phòng Tư pháp", "Phòng <TP> & Co"))
    html = report.units_table_html(odd, "online_rate")
    assert "Phòng &lt;TP&gt; &amp; Co" in html
    assert "<TP>" not in html


# --------------------------------------------------------------------------- Biểu 06


def test_bieu06_header_numbers_groups_and_totals(table: pd.DataFrame) -> None:
    html = report.bieu06_html(table, title="KẾT QUẢ", period_label="quý I/2022")
    head = html.split("<tbody>")[0]
    assert re.findall(r"<th>\((\d+)\)</th>", head) == [str(n) for n in range(1, 14)]
    assert '<th colspan="4">Số hồ sơ nhận giải quyết</th>' in head
    assert '<th colspan="3">Số hồ sơ đang giải quyết</th>' in head
    assert [re.sub("<[^>]+>", "", h) for h in re.findall(r"<th>([^(<][^<]*)</th>", head)] == \
        [label for _, _, label, _ in BIEU06_COLUMNS]
    assert "Biểu số 06/VPCP/KSTT" in html and "Kỳ báo cáo: quý I/2022" in html
    body = rows_of(html.split("<tbody>")[1])
    wide = bieu06_frame(table)
    # a group whose units are one level's units carries that level's sub-total, as in the annex
    assert cells_of(body[0]) == ["I", "Các phòng, ban chuyên môn",
                                 *[format_number(wide.loc["*huyen", n]) for n, *_ in
                                   BIEU06_COLUMNS]]
    assert cells_of(body[3])[:2] == ["II", "UBND các phường, xã"]
    assert cells_of(body[1]) == ["1", "Phòng Tư pháp",
                                 *[format_number(wide.loc["TP", n]) for n, *_ in BIEU06_COLUMNS]]
    assert cells_of(body[-1]) == ["", "Tổng cộng",
                                  *[format_number(wide.loc["*", n]) for n, *_ in BIEU06_COLUMNS]]
    assert "bk-landscape" not in html
    assert "bk-landscape" in report.bieu06_html(table, landscape=True)


def test_bieu06_html_and_annex_share_one_layout(table: pd.DataFrame) -> None:
    """The overview's form and the annex's sheet: the same rows, labels and numbering."""
    html_rows = [cells_of(r)[:2] for r in rows_of(report.bieu06_html(table).split("<tbody>")[1])]
    assert html_rows == [[r.stt, r.label] for r in bieu06.layout(table)]
    assert bieu06.layout(table) == annex.bieu06_layout(table)


def test_bieu06_period_lines_give_the_actual_dates(table: pd.DataFrame) -> None:
    assert bieu06.period_lines(parse_period("2023Q4")) == (
        "Kỳ báo cáo: quý IV/2023", "(Từ ngày 01/10/2023 đến ngày 31/12/2023)")
    # Decree 09: quý I/2022 runs from 15 December to 14 March
    assert bieu06.period_lines(parse_period("2022Q1", "nd09"))[1] == \
        "(Từ ngày 15/12/2021 đến ngày 14/03/2022)"
    html = report.bieu06_html(table, period=parse_period("2022Q1", "nd09"))
    assert "Kỳ báo cáo: quý I/2022" in html and "(Từ ngày 15/12/2021 đến ngày 14/03/2022)" in html


def test_bieu06_numbers_the_vietnamese_way(table: pd.DataFrame) -> None:
    big = table.assign(value=table["value"] * 1000)
    total = cells_of(rows_of(report.bieu06_html(big).split("<tbody>")[1])[-1])
    assert total[2] == format_number(bieu06_frame(big).loc["*", 3])
    assert re.fullmatch(r"\d{1,3}(\.\d{3})+", total[2])  # "31.000"


def test_bieu06_kind_labels_from_data(table: pd.DataFrame) -> None:
    odd = table.assign(kind=table["kind"].replace("phuong_xa", "xa_dac_khu"))
    html = report.bieu06_html(odd, kind_labels={"phong_ban": "Phòng & ban"})
    assert ">Phòng &amp; ban<" in html and ">Xa dac khu<" in html  # readable fallback


# --------------------------------------------------------------------------- lists, text


def test_dossier_list_formats_dates_numbers_and_escapes() -> None:
    frame = pd.DataFrame({
        "dossier_id": ["HS<1>", "HS&2"],
        "procedure": ["Đăng ký khai sinh", None],
        "due_at": pd.to_datetime(["2022-03-14", "2022-04-03"]),
        "resolved_at": pd.to_datetime(["2022-03-20", None]),
        "days_late": [6, 1234],
    })
    columns = {"dossier_id": "Mã hồ sơ", "procedure": "Thủ tục", "due_at": "Ngày hẹn trả",
               "resolved_at": "Ngày có kết quả", "days_late": "Số ngày trễ"}
    html = report.dossier_list_html(frame, columns)
    head, first, second = rows_of(html)
    assert cells_of(head) == ["STT", *columns.values()]
    assert cells_of(first) == ["1", "HS&lt;1&gt;", "Đăng ký khai sinh", "14/03/2022",
                               "20/03/2022", "6"]
    assert cells_of(second) == ["2", "HS&amp;2", "—", "03/04/2022", "—", "1.234"]


def test_dossier_list_empty_and_unknown_column() -> None:
    empty = pd.DataFrame({"dossier_id": pd.Series([], dtype=str)})
    assert report.dossier_list_html(empty, {"dossier_id": "Mã"}) == "<p>Không có hồ sơ.</p>"
    with pytest.raises(KeyError, match="missing"):
        report.dossier_list_html(empty, {"missing": "X"})


def test_paragraphs_and_recommendations_escape() -> None:
    assert report.paragraphs_html(["Một <b>", "  ", "Hai & ba"]) == \
        "<p>Một &lt;b&gt;</p><p>Hai &amp; ba</p>"
    assert report.paragraphs_html("Một câu.") == "<p>Một câu.</p>"
    assert report.recommendations_html(["Đẩy mạnh <DVC>", "Gửi thư xin lỗi"]) == (
        '<ol class="bk-recommendations"><li>Đẩy mạnh &lt;DVC&gt;</li>'
        "<li>Gửi thư xin lỗi</li></ol>")
    assert report.recommendations_html([]) == ""


def test_provenance_line() -> None:
    html = report.provenance_html({
        "period": parse_period("2022Q1", "nd09"), "data_sha256": "ab" * 32,
        "params": {"unit_id": "TP", "targets": "a&b.yaml"},
        "generated_at": "2022-05-20T08:30:00"})
    assert html.startswith('<p class="bk-provenance">')
    assert "Kỳ báo cáo: quý I/2022" in html
    assert "quy ước: NĐ 09/2019/NĐ-CP" in html
    assert "dữ liệu sha256: abababababab ·" in html
    assert "tham số: unit_id=TP; targets=a&amp;b.yaml" in html
    assert f"briefkit {__version__}" in html
    assert "tạo ngày 20/05/2022" in html
    assert "08:30" not in html and "tạo lúc" not in html  # the date only


@pytest.mark.parametrize(("generated_at", "shown"), [
    ("2026-11-30T00:00:00+07:00", "30/11/2026"),  # the batch's document timestamp
    (dt.datetime(2026, 11, 30, tzinfo=clock.LOCAL_TZ), "30/11/2026"),
    (dt.datetime(2026, 11, 29, 17, 0, tzinfo=dt.UTC), "30/11/2026"),  # same instant, in UTC
    ("2026-11-30T23:59:59", "30/11/2026"),  # naive: Vietnamese time
    (dt.date(2026, 11, 30), "30/11/2026"),
    (pd.Timestamp("2026-11-30 08:15"), "30/11/2026"),
])
def test_provenance_prints_the_date_of_generated_at(generated_at: object, shown: str) -> None:
    html = report.provenance_html({"generated_at": generated_at})
    assert html.endswith(f"tạo ngày {shown}</p>")


def test_provenance_given_a_time_never_reads_the_clock(monkeypatch: pytest.MonkeyPatch) -> None:
    def no_clock() -> dt.datetime:
        raise AssertionError("the clock was read")

    monkeypatch.setattr(report, "local_now", no_clock)
    stamp = clock.document_timestamp(dt.date(2026, 11, 30))
    first = report.provenance_html({"period": "quý IV/2026", "generated_at": stamp})
    assert first == report.provenance_html({"period": "quý IV/2026",
                                            "generated_at": stamp.isoformat()})


def test_provenance_defaults_to_now(monkeypatch: pytest.MonkeyPatch) -> None:
    # without generated_at (a notebook run by hand) the day is the clock's, in Vietnam
    monkeypatch.setattr(report, "local_now", lambda: dt.datetime(2026, 11, 30, 6, 5,
                                                                  tzinfo=clock.LOCAL_TZ))
    html = report.provenance_html({"period": "quý I/2022", "convention": "calendar"})
    assert "quy ước: kỳ theo lịch" in html
    assert html.endswith("tạo ngày 30/11/2026</p>")
