"""What the notebooks call: briefing.prepare and the lists and recommendations it feeds."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from briefkit import briefing
from briefkit.problems import InputError
from tests import kpi_fixture


@pytest.fixture(scope="module")
def prepared(tmp_path_factory: pytest.TempPathFactory) -> briefing.Briefing:
    base = tmp_path_factory.mktemp("prep")
    data = kpi_fixture.write_folder(base / "data")
    targets = base / "targets.yaml"
    targets.write_text("2022:\n  online_rate: 0.6\n  late_apology_rate: 1.0\n", encoding="utf-8")
    return briefing.prepare(data, "2022Q1", targets_file=targets)


def test_missing_demo_data_says_how_to_make_it(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="make demo"):
        briefing.prepare(tmp_path / "demo", "2022Q1")


def test_provenance_and_history(prepared: briefing.Briefing) -> None:
    assert prepared.provenance["period_spec"] == "2022Q1"
    assert len(prepared.provenance["data_sha256"]) == 64
    assert prepared.history["period_order"].nunique() == 8
    assert prepared.unit_name("007") == "UBND Phường 7"
    with pytest.raises(KeyError):
        prepared.unit_name("NOPE")


def test_late_dossiers_without_apology(prepared: briefing.Briefing) -> None:
    late = briefing.late_without_apology_list(prepared, "TP")
    # D3 (late, apology sent) is not listed; D4 (due 10/03, resolved 15/03, none) is
    assert late[["dossier_id", "days_late"]].values.tolist() == [["D4", 5]]
    assert late.loc[0, "procedure_name"] == "Đăng ký khai sinh (huyện)"
    html = briefing.late_list_html(late)
    assert "D4" in html and "15/03/2022" in html
    assert "Và " not in html
    many = briefing.late_list_html(late, limit=0)
    assert "Và 1 hồ sơ khác (tổng số 1 hồ sơ)." in re.sub(r"<[^>]+>", "", many)
    assert '<span class="bk-nowrap">1 hồ sơ</span>' in many  # a number keeps its unit


def test_recommendations_follow_the_gaps(prepared: briefing.Briefing) -> None:
    unit = briefing.recommendations(prepared, "TP")
    assert len(unit) == 2  # online rate 50 % < 60 %, apology 1/2 < 100 %
    assert unit[0].startswith("Đẩy mạnh tuyên truyền")
    assert briefing.recommendations(prepared, "AGG") == []  # 69,23 % and 1/1: nothing missed
    overview = briefing.recommendations(prepared)
    assert overview[0].startswith("Phòng Tư pháp, UBND Phường 7: đẩy mạnh tuyên truyền")


def test_sentences(prepared: briefing.Briefing) -> None:
    sentences = briefing.unit_sentences(prepared, "TP")
    assert sentences[0].startswith("Trong quý I/2022, tỷ lệ hồ sơ được xử lý trực tuyến")
    assert "chưa đạt chỉ tiêu năm 2022 là 60,00%" in sentences[0]
    overview = briefing.overview_sentences(prepared)
    assert any("có 2/3 đơn vị chưa đạt chỉ tiêu" in s for s in overview)
