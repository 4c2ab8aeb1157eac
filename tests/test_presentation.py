"""One presentation model: which KPIs each output shows is declared once, on the KPI
definitions (:attr:`briefkit.kpis.KpiDef.shown`), and the words around the figures live in
:mod:`briefkit.wording`; every output reads them from there."""

from __future__ import annotations

import pytest

from briefkit import annex, briefing, bundle, charts, report, wording
from briefkit.kpis import KPIS, OUTPUTS, STATUS_MET, STATUS_NA, STATUS_NOT_MET, shown_in
from briefkit.narrative import _amount_text


def test_each_output_lists_its_kpis_in_the_declared_order() -> None:
    assert shown_in("unit") == (
        "online_rate", "on_time_rate", "received_total", "received_online", "received_postal",
        "returned_by_post", "resolved_total", "resolved_late", "late_apology_rate",
        "pending_overdue", "l3_online_share", "l4_online_share", "online_received_l3",
        "online_received_l4", "l3_procedures_with_online", "l4_procedures_with_online",
        "documents_signed_rate", "index766_progress", "index766_online")
    assert shown_in("overview") == ("online_rate", "on_time_rate", "late_apology_rate",
                                    "pending_overdue")
    assert shown_in("follow_up") == ("online_rate", "on_time_rate", "late_apology_rate",
                                     "pending_overdue", "l3_procedures_with_online",
                                     "l4_procedures_with_online")
    assert shown_in("peer") == ("online_rate",)
    # every KPI a unit's findings discuss is in its table too
    assert set(shown_in("unit_findings")) <= set(shown_in("unit"))
    with pytest.raises(ValueError, match="unknown output"):
        shown_in("poster")


def test_every_output_reads_the_declaration() -> None:
    assert list(shown_in("unit")) == briefing.UNIT_KPIS
    assert list(shown_in("follow_up")) == briefing.FOLLOW_UP_KPIS
    assert briefing.HEATMAP_KPIS == list(shown_in("heatmap")) == list(charts.HEATMAP_KPIS)
    assert shown_in("peer") == bundle.PEER_KPIS and briefing.PEER_KPI == "online_rate"
    # the annex: the same KPIs, grouped so a printed page covers whole groups
    assert set(annex.ANNEX_KPIS) == set(shown_in("annex"))
    assert annex.ANNEX_KPIS == (
        "online_rate", "l3_online_share", "l4_online_share", "l3_procedures_with_online",
        "l4_procedures_with_online", "on_time_rate", "late_apology_rate",
        "documents_signed_rate", "index766_progress", "index766_online")
    from briefkit.cli import _summary_kpis

    assert _summary_kpis() == {k: KPIS[k].short_label for k in shown_in("summary")}
    assert _summary_kpis()["online_rate"] == "Trực tuyến"
    assert all(set(k.shown) <= set(OUTPUTS) for k in KPIS.values())


def test_one_set_of_words_for_judgements_and_gaps() -> None:
    assert annex.STATUS_TEXT is wording.STATUS_WORDS is charts.STATUS_LABELS
    assert wording.STATUS_WORDS == {STATUS_MET: "Đạt", STATUS_NOT_MET: "Chưa đạt",
                                    STATUS_NA: "Không áp dụng"}
    # "not applicable" reads the same in the HTML table as in the annex and the heat map
    assert ">Không áp dụng<" in report.status_html(STATUS_NA)
    assert ">Không áp dụng<" in report.status_html(None)
    # a rate's gap: the same unit in the table and in the sentence beside it
    rate = KPIS["online_rate"]
    assert report.signed_difference(rate, -0.0429) == "−4,29 điểm phần trăm"
    assert _amount_text(rate, -4.29) == "4,29 điểm phần trăm"
    assert wording.rule_sign("max") == "≤ " and wording.rule_sign("baseline_plus") == "≥ "
