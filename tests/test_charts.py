"""Charts on the hand-built district of kpi_fixture.py: structure (bars, lines, colours,
targets), Vietnamese labels (read from the Axes, and as SVG <text>), deterministic
output, no figure leaks, and missing data as a message instead of a crash."""

from __future__ import annotations

import re
import sys
import types
import warnings
from xml.etree import ElementTree

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import pytest
from matplotlib.collections import PathCollection, QuadMesh
from matplotlib.colors import same_color, to_hex
from matplotlib.figure import Figure
from matplotlib.patches import Rectangle

from briefkit import charts
from briefkit.kpis import STATUS_MET, STATUS_NA, STATUS_NOT_MET, compute_kpis, kpi_history
from briefkit.periods import parse_period
from briefkit.targets import TargetRule, Targets, YearTargets
from tests import kpi_fixture

LONG_NAME = "Phòng Lao động - Thương binh và Xã hội"
DIACRITICS = "ắ ặ ẫ ỹ ữ ự Ư Đ"
TARGET_2022 = 0.8447
TARGET_2021 = 0.7447


def _targets() -> Targets:
    return Targets({
        2021: YearTargets({"online_rate": TargetRule("min", TARGET_2021)}),
        2022: YearTargets(
            {"online_rate": TargetRule("min", TARGET_2022),
             "on_time_rate": TargetRule("min", 0.98),
             "pending_overdue": TargetRule("max", 0.0)},
            {"TP": {"online_rate": TargetRule("min", 0.5)}}),
    })


@pytest.fixture(scope="module")
def dataset():
    ds = kpi_fixture.dataset()
    ds.units.loc[ds.units["unit_id"] == "TP", "name"] = LONG_NAME
    ds.units.loc[ds.units["unit_id"] == "007", "name"] = f"UBND Phường 7 ({DIACRITICS})"
    return ds


@pytest.fixture(scope="module")
def table(dataset) -> pd.DataFrame:
    return compute_kpis(dataset, parse_period("2022Q1"), _targets())


@pytest.fixture(scope="module")
def history(dataset) -> pd.DataFrame:
    return kpi_history(dataset, parse_period("2022Q1"), targets=_targets())


@pytest.fixture(autouse=True)
def _no_leaks():
    plt.close("all")
    yield
    assert plt.get_fignums() == [], "a chart function left a pyplot figure open"


def _texts(fig: Figure) -> list[str]:
    """Every piece of text of a figure: titles, tick labels, annotations, legends."""
    found = []
    for text in fig.findobj(matplotlib.text.Text):
        if text.get_visible() and text.get_text():
            found.append(text.get_text())
    return found


def _bars(fig: Figure) -> list[Rectangle]:
    return [p for ax in fig.axes for p in ax.patches if isinstance(p, Rectangle)]


def _lines(fig: Figure, label: str) -> list[matplotlib.lines.Line2D]:
    return [line for ax in fig.axes for line in ax.get_lines() if line.get_label() == label]


# --------------------------------------------------------------------------- theme


def test_theme_fonts_sizes_and_svg_settings():
    with matplotlib.rc_context():  # restores the global settings afterwards
        rc = charts.apply_theme()
        family = charts.resolve_serif_font()
        assert family in ("Liberation Serif", "Tinos", "Times New Roman")
        path = matplotlib.font_manager.findfont(family, fallback_to_default=False)
        assert charts._has_glyphs(path, DIACRITICS.replace(" ", "") + "ơờởỡợ")
        # the generic family, resolved through the document's own list of Times-metric fonts
        assert rc["font.family"] == ["serif"]
        assert rc["font.serif"] == list(charts.SERIF_CANDIDATES)
        assert matplotlib.font_manager.findfont(
            matplotlib.font_manager.FontProperties(family="serif")) == path
        assert rc["svg.fonttype"] == "none"  # text as text
        assert rc["svg.hashsalt"]
        assert rc["figure.figsize"][0] == pytest.approx(16 / 2.54)
        assert 9 <= rc["font.size"] <= 10
        assert matplotlib.rcParams["svg.fonttype"] == "none"


def test_missing_fonts_fall_back_and_warn_once(monkeypatch):
    def no_font(*args, **kwargs):
        raise ValueError("not found")

    charts.resolve_serif_font.cache_clear()
    monkeypatch.setattr(charts.theme.font_manager, "findfont", no_font)
    try:
        with pytest.warns(UserWarning, match="Vietnamese glyphs"):
            assert charts.resolve_serif_font() == charts.FALLBACK_SERIF
        with warnings.catch_warnings():
            warnings.simplefilter("error")
            charts.theme_rc()  # cached: no second warning
    finally:
        charts.resolve_serif_font.cache_clear()


def test_charts_use_the_theme_whatever_the_global_settings(table):
    with matplotlib.rc_context({"font.family": "sans-serif", "font.size": 20}):
        fig = charts.peer_comparison(table, "TP")
    title = fig.texts[0] if fig.texts else fig.axes[0].title
    assert title.get_fontfamily() == ["serif"]
    with matplotlib.rc_context(charts.theme_rc()):
        found = matplotlib.font_manager.findfont(title.get_fontproperties())
    assert matplotlib.font_manager.get_font(found).family_name == charts.resolve_serif_font()
    assert fig.get_figwidth() == pytest.approx(16 / 2.54)
    tick = fig.axes[0].get_yticklabels()[0]
    assert tick.get_fontsize() == pytest.approx(8.5)


# --------------------------------------------------------------------------- unit charts


def test_online_trend(history):
    fig = charts.online_trend(history, "TP")
    assert isinstance(fig, Figure)
    ax = fig.axes[0]
    # TP's first value is in quý IV/2021: earlier empty periods are left out
    assert [t.get_text() for t in ax.get_xticklabels()] == ["Quý IV\n2021", "Quý I\n2022"]
    (values,) = _lines(fig, charts.VALUE_ARTIST)
    assert list(values.get_ydata()) == [0.0, 0.5]
    assert same_color(values.get_color(), charts.ACCENT)
    # the target steps from the 2021 target to TP's own 2022 target, dashed
    levels = [line.get_ydata()[0] for line in _lines(fig, charts.TARGET_ARTIST)]
    assert levels == [pytest.approx(TARGET_2021), pytest.approx(0.5)]
    assert all(line.get_linestyle() == "--" for line in _lines(fig, charts.TARGET_ARTIST))
    texts = _texts(fig)
    assert "0,0%" in texts and "50,0%" in texts
    assert any("Chỉ tiêu" in t and "50,00%" in t for t in texts)
    assert any(LONG_NAME in t for t in texts)  # title
    assert ax.yaxis.get_major_formatter()(0.8, 0) == "80%"


def test_online_trend_with_gaps_and_without_target(dataset):
    history = kpi_history(dataset, parse_period("2022Q1"))  # no targets at all
    fig = charts.online_trend(history, "007")
    (values,) = _lines(fig, charts.VALUE_ARTIST)
    ydata = np.asarray(values.get_ydata(), dtype=float)
    assert ydata[0] == 0.0 and ydata[-1] == 0.5 and np.isnan(ydata[1:-1]).all()
    assert _lines(fig, charts.TARGET_ARTIST) == []
    assert any(DIACRITICS in t for t in _texts(fig))


def test_peer_comparison_highlights_the_unit(table):
    fig = charts.peer_comparison(table, "007")
    ax = fig.axes[0]
    bars = _bars(fig)
    assert len(bars) == 2  # the two wards (phuong_xa), no roll-up, no department
    names = [t.get_text() for t in ax.get_yticklabels()]
    assert names[0] == "UBND Phường 9"  # 69,2% ranks first
    assert DIACRITICS in names[1].replace("\n", " ")
    assert same_color(bars[1].get_facecolor(), charts.ACCENT)
    assert same_color(bars[0].get_facecolor(), charts.LIGHT_GREY)
    assert bars[0].get_width() == pytest.approx(9 / 13)
    assert ax.get_yticklabels()[1].get_fontweight() == "bold"
    (target,) = _lines(fig, charts.TARGET_ARTIST)
    assert list(target.get_xdata()) == [pytest.approx(TARGET_2022)] * 2
    texts = _texts(fig)
    assert "69,2%" in texts and "50,0%" in texts and "Chỉ tiêu 84,47%" in texts


def test_peer_comparison_of_many_units_shows_the_ends_and_the_neighbourhood():
    # a province's 40 communes: the best 5, the unit with 2 neighbours each side, the worst 5
    n = 40
    table = pd.DataFrame({
        "unit_id": [f"X{i:02d}" for i in range(n)],
        "unit_name": [f"UBND xã {i:02d}" for i in range(n)],
        "kind": "xa", "is_rollup": False, "kpi": "online_rate",
        "value": [1 - i / 100 for i in range(n)], "denominator": 100.0,
        "target": 0.8, "status": "dat"})
    fig = charts.peer_comparison(table, "X20")
    names = [t.get_text().replace("\n", " ") for t in fig.axes[0].get_yticklabels()]
    places = [int(name.split(".")[0]) for name in names]
    assert places == [1, 2, 3, 4, 5, 19, 20, 21, 22, 23, 36, 37, 38, 39, 40]
    assert names[6] == "20. UBND xã 19" and names[7] == "21. UBND xã 20"
    bars = _bars(fig)
    assert same_color(bars[7].get_facecolor(), charts.ACCENT)  # the unit itself
    assert sum(same_color(b.get_facecolor(), charts.ACCENT) for b in bars) == 1
    assert "(xếp thứ 21/40)" in " ".join([*_texts(fig), fig.axes[0].get_title()])
    # at the top, the window and the best five overlap
    top = charts.peer_comparison(table, "X01")
    places = [int(t.get_text().split(".")[0]) for t in top.axes[0].get_yticklabels()]
    assert places == [1, 2, 3, 4, 5, 36, 37, 38, 39, 40]
    # up to PEER_CHART_MAX units, every unit, names as they are
    small = charts.peer_comparison(table.head(charts.PEER_CHART_MAX), "X03")
    assert len(_bars(small)) == charts.PEER_CHART_MAX
    assert small.axes[0].get_yticklabels()[0].get_text() == "UBND xã 00"


def test_peer_comparison_marks_own_targets_and_unit_without_dossiers(table):
    fig = charts.peer_comparison(table, "EMPTY")
    ax = fig.axes[0]
    names = [t.get_text().replace("\n", " ") for t in ax.get_yticklabels()]
    assert names == [LONG_NAME, "Phòng Nội vụ"]
    assert charts.NO_DOSSIERS in _texts(fig)
    # TP's own target (50%) differs from Nội vụ's 84,47%: no common line, a mark for each
    assert _lines(fig, charts.TARGET_ARTIST) == []
    marks = [c for c in ax.collections if c.get_label() == charts.OWN_TARGET_ARTIST]
    assert isinstance(marks[0], PathCollection)
    assert sorted(marks[0].get_offsets()[:, 0]) == [pytest.approx(0.5),
                                                     pytest.approx(TARGET_2022)]


def test_channel_mix(table):
    fig = charts.channel_mix(table, "TP")
    ax = fig.axes[0]
    assert [b.get_width() for b in _bars(fig)] == [5, 3, 1]
    assert [t.get_text() for t in ax.get_yticklabels()] == ["Trực tuyến", "Trực tiếp",
                                                             "Bưu chính công ích"]
    texts = _texts(fig)
    assert "5 (55,6%)" in texts and "1 (11,1%)" in texts
    assert any("tổng số 9 hồ sơ" in t for t in texts)


def test_channel_mix_without_postal_split(table):
    partial = table.copy()
    unknown = (partial["unit_id"] == "AGG") & partial["kpi"].isin(["received_direct",
                                                                    "received_postal"])
    partial.loc[unknown, "value"] = np.nan
    fig = charts.channel_mix(partial, "AGG")
    assert [b.get_width() for b in _bars(fig)] == [10, 5]
    labels = [t.get_text() for t in fig.axes[0].get_yticklabels()]
    assert labels == ["Trực tuyến", "Trực tiếp, bưu chính"]


def test_channel_mix_of_a_rollup_without_postal_split():
    """AGG reports without received_postal: the roll-up has no split (unknown, not TP's and
    007's part), so two bars whose sum is every new dossier, 17 online and 11 others."""
    ds = kpi_fixture.dataset()
    ds.aggregates = ds.aggregates.assign(received_postal=pd.array([pd.NA, pd.NA], "Int64"))
    table = compute_kpis(ds, parse_period("2022Q1"), compare=False)
    fig = charts.channel_mix(table, "*")
    assert [b.get_width() for b in _bars(fig)] == [17, 11]
    assert [t.get_text() for t in fig.axes[0].get_yticklabels()] == ["Trực tuyến",
                                                                      "Trực tiếp, bưu chính"]
    assert any("tổng số 28 hồ sơ" in t for t in _texts(fig))


def test_channel_mix_with_half_a_split(table):
    """A known direct count with an unknown postal one is no split either."""
    partial = table.copy()
    partial.loc[(partial["unit_id"] == "TP") & (partial["kpi"] == "received_postal"),
                "value"] = np.nan
    fig = charts.channel_mix(partial, "TP")
    assert [b.get_width() for b in _bars(fig)] == [5, 4]


def test_timeliness(table):
    fig = charts.timeliness(table, "TP")
    resolved, pending = fig.axes
    assert [b.get_height() for b in resolved.patches] == [3, 1, 2]
    assert [b.get_height() for b in pending.patches] == [3, 1]
    assert [t.get_text() for t in resolved.get_xticklabels()] == ["Trước hạn", "Đúng hạn",
                                                                   "Quá hạn"]
    assert [t.get_text() for t in pending.get_xticklabels()] == ["Trong hạn", "Quá hạn"]
    late = [resolved.patches[2], pending.patches[1]]
    assert all(same_color(b.get_facecolor(), charts.ACCENT) for b in late)
    assert not same_color(resolved.patches[0].get_facecolor(), charts.ACCENT)
    texts = _texts(fig)
    assert "Đã giải quyết: 6 hồ sơ" in texts and "Đang giải quyết: 4 hồ sơ" in texts
    assert "3 (50,0%)" in texts and "1 (25,0%)" in texts


@pytest.mark.parametrize("chart", [charts.channel_mix, charts.timeliness])
def test_unit_without_dossiers_gets_a_message(table, chart):
    fig = chart(table, "EMPTY")
    assert isinstance(fig, Figure)
    assert charts.NO_DOSSIERS in _texts(fig)
    assert _bars(fig) == []


def test_trend_of_unit_without_dossiers(history):
    fig = charts.online_trend(history, "EMPTY")
    assert charts.NO_DOSSIERS in _texts(fig)


def test_unknown_unit_and_kpi_are_errors(table, history):
    with pytest.raises(ValueError, match="not in the KPI table"):
        charts.channel_mix(table, "NOPE")
    with pytest.raises(ValueError, match="unknown KPI"):
        charts.peer_comparison(table, "TP", kpi="nope")
    with pytest.raises(ValueError, match="several periods"):
        charts.peer_comparison(history, "TP")


# --------------------------------------------------------------------------- overview


def test_units_vs_target(table):
    fig = charts.units_vs_target(table)
    ax = fig.axes[0]
    names = [t.get_text().replace("\n", " ") for t in ax.get_yticklabels()]
    # ranked best first; ties by name; the unit without a value last
    assert names == ["UBND Phường 9", LONG_NAME, f"UBND Phường 7 ({DIACRITICS})",
                     "Phòng Nội vụ"]
    colors = [to_hex(b.get_facecolor()) for b in _bars(fig)]
    expected = [charts.STATUS_BAR_COLORS[s] for s in
                (STATUS_NOT_MET, STATUS_MET, STATUS_NOT_MET, STATUS_NA)]
    assert colors == [to_hex(c) for c in expected]
    (target,) = _lines(fig, charts.TARGET_ARTIST)  # 84,47% is shared by three units of four
    assert target.get_xdata()[0] == pytest.approx(TARGET_2022)
    marks = [c for c in ax.collections if c.get_label() == charts.OWN_TARGET_ARTIST]
    assert marks[0].get_offsets()[:, 0].tolist() == [pytest.approx(0.5)]  # TP's own
    legend = [t.get_text() for t in fig.legends[0].get_texts()]
    assert legend[:3] == ["Đạt", "Chưa đạt", "Không áp dụng"]
    assert "Chỉ tiêu 84,47%" in legend and "Chỉ tiêu riêng của đơn vị" in legend


def test_units_vs_target_for_a_count_with_a_max_target(table):
    fig = charts.units_vs_target(table, "pending_overdue")
    names = [t.get_text().replace("\n", " ") for t in fig.axes[0].get_yticklabels()]
    assert names[-2:] == [LONG_NAME, "UBND Phường 9"]  # fewer is better; 1 overdue each
    (target,) = _lines(fig, charts.TARGET_ARTIST)
    assert target.get_xdata()[0] == 0


def test_status_heatmap(table):
    fig = charts.status_heatmap(table)
    ax = fig.axes[0]
    headers = [t.get_text().replace("\n", " ") for t in ax.get_xticklabels()]
    assert headers == ["Tỷ lệ xử lý trực tuyến", "Tỷ lệ giải quyết đúng và trước hạn",
                       "Đang giải quyết quá hạn"]
    rows = [t.get_text() for t in ax.get_yticklabels()]
    assert rows[0] == LONG_NAME and rows[-1] == "Toàn bộ các đơn vị"
    assert len(rows) == 5  # four units and the roll-up
    (mesh,) = [c for c in ax.collections if isinstance(c, QuadMesh)]
    codes = np.asarray(mesh.get_array()).reshape(5, 3)
    assert codes[0].tolist() == [0, 1, 1]  # TP: online met its own 50%, on-time and overdue not
    assert codes[2].tolist() == [2, 2, 0]  # Nội vụ: no dossiers, nothing overdue
    cells = {(round(t.get_position()[0], 1), round(t.get_position()[1], 1)): t
             for t in ax.texts}
    assert cells[(0.5, 0.5)].get_text() == "50,0%"
    assert cells[(1.5, 0.5)].get_text() == "66,7%"
    assert cells[(1.5, 0.5)].get_fontweight() == "bold"  # chưa đạt reads without colour
    assert cells[(0.5, 2.5)].get_text() == "—"
    legend = [t.get_text() for t in fig.legends[0].get_texts()]
    assert legend == ["Đạt", "Chưa đạt", "Không áp dụng"]


def test_status_heatmap_without_targets_or_total(dataset):
    plain = compute_kpis(dataset, parse_period("2022Q1"))
    fig = charts.status_heatmap(plain, ["online_rate", "received_online"],
                                include_total=False)
    ax = fig.axes[0]
    assert len(ax.get_yticklabels()) == 4
    assert {t.get_text() for t in ax.texts} >= {"50,0%", "5", "—"}
    assert charts.default_heatmap_kpis(plain)[:2] == ["online_rate", "on_time_rate"]


def test_overview_of_nothing_gets_a_message(table):
    empty = table.assign(value=np.nan, denominator=0.0)
    assert charts.NO_DOSSIERS in _texts(charts.units_vs_target(empty))
    unknown = table.assign(value=np.nan, denominator=np.nan)
    assert charts.NO_DATA in _texts(charts.units_vs_target(unknown))
    assert charts.NO_DATA in _texts(charts.status_heatmap(table.iloc[0:0]))


# --------------------------------------------------------------------------- output


def test_svg_is_deterministic_with_text_as_text(table):
    first = charts.figure_svg(charts.peer_comparison(table, "TP"))
    second = charts.figure_svg(charts.peer_comparison(table, "TP"))
    assert first == second
    assert first.lstrip().startswith("<?xml")
    assert "<dc:date>" not in first
    # labels are <text> in the document's font list, diacritics as characters, no glyph paths
    texts = re.findall(r"<text ([^>]*)>([^<]*)</text>", first)
    assert {t for _, t in texts} >= {"Phòng Lao động - Thương binh và", "Xã hội", "100%",
                                     "Không phát sinh hồ sơ", "Chỉ tiêu của từng đơn vị"}
    families = {re.search(r"font-family: ([^;\"]+)", style).group(1) for style, _ in texts}
    assert families == {"'Times New Roman', 'Liberation Serif', 'Tinos', serif"}
    glyph_ids = re.findall(r'<path id="([^"]+)"', first)
    assert all(re.fullmatch(r"m[0-9a-f]+", i) for i in glyph_ids), glyph_ids  # markers only


def test_svg_laid_out_once_is_what_savefig_writes_after_its_own_pre_draw(table, history):
    """figure_svg runs the layout engine alone and draws once; savefig alone runs it inside
    a whole pre-draw. Same bytes, and the figure keeps its layout engine."""
    import io

    from briefkit.charts.theme import _themed

    makers = [lambda: charts.online_trend(history, "TP"),
              lambda: charts.peer_comparison(table, "007"),
              lambda: charts.channel_mix(table, "TP"), lambda: charts.timeliness(table, "TP"),
              lambda: charts.units_vs_target(table), lambda: charts.status_heatmap(table),
              lambda: charts.timeliness(table, "EMPTY")]
    for make in makers:
        fig, plain = make(), io.StringIO()
        with _themed():
            fig.savefig(plain, format="svg", metadata={"Date": None, "Creator": "briefkit"})
        fig = make()
        fig._original_dpi = 144  # as a HiDPI canvas records it
        state = (fig.get_layout_engine(), fig.canvas, fig.dpi, fig._original_dpi)
        assert state[0] is not None
        assert charts.figure_svg(fig) == plain.getvalue()
        assert (fig.get_layout_engine(), fig.canvas, fig.dpi, fig._original_dpi) == state
    pyplot_fig = plt.figure(layout=None)  # no layout engine: saved as it stands
    assert "<svg" in charts.figure_svg(pyplot_fig)
    plt.close(pyplot_fig)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no layout of a figure without axes, no warning
        bare = Figure(layout="constrained")
        bare.text(0.5, 0.5, "chỉ có chữ")
        assert "chỉ có chữ" in charts.figure_svg(bare)


def test_png_bytes(table):
    fig = charts.timeliness(table, "TP")
    png = charts.figure_png(fig, dpi=50)
    assert png.startswith(b"\x89PNG\r\n\x1a\n")
    assert charts.figure_png(fig, dpi=50) == png


def test_charts_open_no_pyplot_figures(table, history):
    for unit in ("TP", "007", "EMPTY", "AGG"):
        charts.online_trend(history, unit)
        charts.peer_comparison(table, unit)
        charts.channel_mix(table, unit)
        charts.timeliness(table, unit)
    charts.units_vs_target(table)
    charts.status_heatmap(table)
    assert plt.get_fignums() == []


@pytest.fixture
def displayed(monkeypatch):
    shown: list[object] = []
    fake = types.ModuleType("IPython.display")
    fake.Image = lambda data, format, width: ("png", data, width)
    fake.display = lambda obj, raw=False: shown.append((obj, raw))
    monkeypatch.setitem(sys.modules, "IPython.display", fake)
    return shown


def test_show_displays_and_closes(table, displayed):
    fig = charts.channel_mix(table, "TP")
    document = charts.figure_svg(fig)
    charts.show(fig)
    (bundle, raw), = displayed
    assert raw and list(bundle) == ["image/svg+xml"]
    element = bundle["image/svg+xml"]
    assert element.startswith("<svg ") and element.endswith("</svg>")
    # the same XML as IPython's SVG(...) extracts by parsing the document (minidom)
    from IPython.core.display import SVG as IPythonSVG

    canonical = ElementTree.canonicalize
    assert canonical(element) == canonical(IPythonSVG(document).data)
    pyplot_fig = plt.figure()
    charts.show(pyplot_fig, fmt="png")
    (image, _), = displayed[1:]
    assert image[0] == "png" and image[1].startswith(b"\x89PNG")
    assert plt.get_fignums() == []


def test_svg_element_needs_an_svg_document():
    assert charts.output.svg_element('<?xml version="1.0"?>\n<svg a="1"/>\n') == '<svg a="1"/>'
    with pytest.raises(ValueError, match="no <svg> element"):
        charts.output.svg_element("<html></html>")


def test_show_rejects_unknown_format_but_still_closes(displayed):
    fig = plt.figure()
    with pytest.raises(ValueError, match="fmt"):
        charts.show(fig, fmt="gif")
    assert plt.get_fignums() == []


# --------------------------------------------------------------------------- names


def test_wrap_name():
    assert charts.wrap_name(LONG_NAME, 30) == "Phòng Lao động - Thương binh\nvà Xã hội"
    assert charts.wrap_name("Ủy ban nhân dân phường Bến Thành") == "UBND phường Bến Thành"
    cut = charts.wrap_name("Một tên đơn vị rất dài " * 5, 20, 2)
    assert cut.count("\n") == 1 and cut.endswith("…")
    assert charts.balanced_wrap("Tỷ lệ giải quyết đúng và trước hạn", 22) == \
        "Tỷ lệ giải quyết\nđúng và trước hạn"
