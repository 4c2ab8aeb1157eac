"""Text from the data never acts on the terminal: a unit name with rich markup or control
characters is printed literally by `briefkit kpis` and `briefkit run` (``cli._text``)."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
from typer.testing import CliRunner

from briefkit.cli import _text, app
from tests import kpi_fixture

HOSTILE = "Phòng [bold red]Tư pháp[/] \x1b[31mđỏ\x07 [link=http://x]y[/link]"


def test_markup_and_control_characters_stay_text() -> None:
    assert _text("a [b]c[/b]") == "a \\[b]c\\[/b]"
    assert _text("x\x1b[2Jy\x00\x07\x7f") == "x\\x1b[2Jy\\x00\\x07\\x7f"
    assert _text("dòng 1\ndòng 2\tcột") == "dòng 1\ndòng 2\tcột"


def test_kpis_prints_a_hostile_unit_name_literally(tmp_path: Path) -> None:
    data = kpi_fixture.write_folder(tmp_path / "data")
    units = pd.read_csv(data / "units.csv", dtype=str, keep_default_na=False)
    units.loc[units["unit_id"] == "TP", "name"] = HOSTILE
    # a unit without dossiers: its id reaches the terminal in a data warning
    quiet = units.iloc[[0]].assign(unit_id="Q\x1b]0;pwned\x07", name="Đơn vị \x1b[5mlặng")
    pd.concat([units, quiet]).to_csv(data / "units.csv", index=False)
    result = CliRunner().invoke(app, ["kpis", "--data", str(data), "--period", "2022Q1",
                                      "--out", str(tmp_path / "out")],
                                env={"COLUMNS": "400", "LANG": "C.UTF-8"})
    assert result.exit_code == 0, result.output
    assert "\x1b" not in result.output and "\x07" not in result.output
    assert "[bold red]Tư pháp[/]" in result.output and "\\x1b[31mđỏ\\x07" in result.output
    assert "Q\\x1b]0;pwned\\x07" in result.output  # the warning names it, harmlessly
