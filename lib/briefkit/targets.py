"""Targets (chỉ tiêu) from a YAML file, and the status of each KPI value against them.

The file is keyed by the year whose periods it judges (see the data contract)::

    2022:
      online_rate: 0.8447                       # shorthand for {min: 0.8447}
      on_time_rate: {min: 0.98}
      pending_overdue: {max: 0}
      l3_online_share: {baseline_plus: 0.10}    # the unit's value last year + 10 points
      units:
        "TP": {online_rate: 0.85}

Directives change every year and differ by province, so nothing here is a constant.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import numpy as np
import pandas as pd
import yaml

from briefkit.kpis import KPIS, STATUS_MET, STATUS_NA, STATUS_NOT_MET
from briefkit.kpis.registry import ROLLUP_ALL
from briefkit.periods import Period
from briefkit.problems import InputError, Problem
from briefkit.schema import LEVELS
from briefkit.yamlfiles import compose_yaml, read_text

RuleKind = Literal["min", "max", "baseline_plus"]
_RULE_KINDS: tuple[RuleKind, ...] = ("min", "max", "baseline_plus")
# Two figures that print the same are the same: 0.7447 + 0.10 must meet a target of 0.8447.
_TOLERANCE = 1e-9


@dataclass(frozen=True)
class TargetRule:
    kind: RuleKind
    amount: float

    def describe(self) -> str:
        return {"min": "≥", "max": "≤", "baseline_plus": "năm trước +"}[self.kind] + \
            f" {self.amount:g}"


@dataclass
class YearTargets:
    defaults: dict[str, TargetRule] = field(default_factory=dict)
    units: dict[str, dict[str, TargetRule]] = field(default_factory=dict)
    #: the line of each ``units:`` override, for problems about it
    lines: dict[str, int] = field(default_factory=dict)


@dataclass
class Targets:
    years: dict[int, YearTargets]
    source: Path | None = None

    def rule(self, year: int, unit_id: str, kpi: str) -> TargetRule | None:
        """The rule for one unit (or roll-up) and KPI: its override, else the year's default."""
        year_targets = self.years.get(year)
        if year_targets is None:
            return None
        override = year_targets.units.get(unit_id, {})
        return override.get(kpi, year_targets.defaults.get(kpi))

    def unit_problems(self, unit_ids: Iterable[str], period: Period) -> list[Problem]:
        """``units:`` overrides, in the years that judge ``period``, naming neither a unit of
        the data nor a roll-up (``*``, ``*tinh``, ``*huyen``, ``*xa``): a typo would otherwise
        leave the unit judged against the year's default without a word. Other years are not
        checked: one targets file serves data sets of other years (the district-era units of
        2023 are not in a 2026 province's units.csv)."""
        known = {*map(str, unit_ids), ROLLUP_ALL, *(f"{ROLLUP_ALL}{lv}" for lv in LEVELS)}
        name = self.source.name if self.source is not None else "targets"
        return [Problem(name, f"{year}: units.{unit}: unknown unit id (not in units.csv, "
                              "nor a roll-up: *, *tinh, *huyen, *xa)",
                        row=year_targets.lines.get(unit), rule="unknown_unit")
                for year, year_targets in self.years.items()
                if period.start.year <= year <= period.end.year
                for unit in year_targets.units if unit not in known]


def load_targets(path: str | Path) -> Targets:
    """Read and check a targets file; every problem is reported with its line."""
    source = Path(path)
    name = source.name
    try:
        text = read_text(source, name)
    except FileNotFoundError:
        raise InputError([Problem(name, "targets file not found", rule="missing_file")]) from None
    root = compose_yaml(text, name)  # no aliases, duplicate keys or odd tags (yamlfiles)
    problems: list[Problem] = []
    years: dict[int, YearTargets] = {}
    if root is None:
        return Targets(years, source)
    if not isinstance(root, yaml.MappingNode):
        raise InputError([Problem(name, "the file must map years to targets", row=1,
                                  rule="targets_shape")])
    for key_node, value_node in root.value:
        line = key_node.start_mark.line + 1
        try:
            year = int(key_node.value)
        except ValueError:
            problems.append(Problem(name, f"{key_node.value!r} is not a year", row=line,
                                    rule="targets_year"))
            continue
        if not isinstance(value_node, yaml.MappingNode):
            problems.append(Problem(name, f"year {year} must map KPI ids to targets",
                                    row=line, rule="targets_shape"))
            continue
        years[year] = _year_targets(name, value_node, problems)
    if problems:
        raise InputError(problems)
    return Targets(years, source)


def _year_targets(name: str, node: yaml.MappingNode, problems: list[Problem]) -> YearTargets:
    result = YearTargets()
    for key_node, value_node in node.value:
        if key_node.value == "units":
            if not isinstance(value_node, yaml.MappingNode):
                problems.append(Problem(name, "'units' must map unit ids to targets",
                                        row=key_node.start_mark.line + 1, rule="targets_shape"))
                continue
            for unit_node, unit_targets in value_node.value:
                rules = result.units.setdefault(str(unit_node.value), {})
                result.lines.setdefault(str(unit_node.value), unit_node.start_mark.line + 1)
                if not isinstance(unit_targets, yaml.MappingNode):
                    problems.append(Problem(name, f"unit {unit_node.value!r} must map KPI ids "
                                            "to targets", row=unit_node.start_mark.line + 1,
                                            rule="targets_shape"))
                    continue
                for kpi_node, spec_node in unit_targets.value:
                    _add_rule(name, rules, kpi_node, spec_node, problems)
        else:
            _add_rule(name, result.defaults, key_node, value_node, problems)
    return result


def _add_rule(name: str, rules: dict[str, TargetRule], kpi_node: yaml.Node,
              spec_node: yaml.Node, problems: list[Problem]) -> None:
    line = kpi_node.start_mark.line + 1
    kpi = str(kpi_node.value)
    if kpi not in KPIS:
        problems.append(Problem(name, f"unknown KPI id {kpi!r} (known: "
                                f"{', '.join(sorted(KPIS))})", row=line, column=kpi,
                                rule="targets_kpi"))
        return
    spec: Any = yaml.safe_load(yaml.serialize(spec_node))
    if isinstance(spec, bool) or not isinstance(spec, int | float | dict):
        problems.append(Problem(name, f"target of {kpi} must be a number or one of "
                                f"{{min: x}}, {{max: x}}, {{baseline_plus: x}}; got {spec!r}",
                                row=line, column=kpi, rule="targets_spec"))
        return
    if not isinstance(spec, dict):
        spec = {"min": spec}
    if len(spec) != 1 or next(iter(spec)) not in _RULE_KINDS:
        problems.append(Problem(name, f"target of {kpi} must have exactly one of "
                                f"{', '.join(_RULE_KINDS)}; got {spec!r}", row=line,
                                column=kpi, rule="targets_spec"))
        return
    kind, amount = next(iter(spec.items()))
    if isinstance(amount, bool) or not isinstance(amount, int | float):
        problems.append(Problem(name, f"target of {kpi}: {kind} must be a number, got "
                                f"{amount!r}", row=line, column=kpi, rule="targets_spec"))
        return
    if not math.isfinite(amount) or (kind != "baseline_plus" and amount < 0):
        problems.append(Problem(name, f"target of {kpi}: {kind} must be a finite number"
                                f"{'' if kind == 'baseline_plus' else ' ≥ 0'}, got {amount!r}",
                                row=line, column=kpi, rule="targets_spec"))
        return
    if KPIS[kpi].is_rate and kind != "baseline_plus" and not 0 <= amount <= 1:
        problems.append(Problem(name, f"target of {kpi} is a fraction between 0 and 1 "
                                f"(84,47% is 0.8447); got {amount!r}", row=line, column=kpi,
                                rule="targets_spec"))
        return
    rules[kpi] = TargetRule(kind, float(amount))


def apply_targets(table: pd.DataFrame, targets: Targets, period: Period,
                  baseline: Callable[[Period], pd.DataFrame]) -> pd.DataFrame:
    """Add ``target`` and ``status`` to a KPI table.

    ``baseline(period)`` computes the KPI table of another period; it is called once, for
    the previous year, only when some rule is a ``baseline_plus``.
    """
    year = period.year
    rules = [targets.rule(year, u, k) for u, k in zip(table["unit_id"].tolist(),
                                                        table["kpi"].tolist(), strict=True)]
    kinds = pd.Series([r.kind if r else None for r in rules], index=table.index, dtype=object)
    amounts = pd.Series([r.amount if r else np.nan for r in rules], index=table.index,
                        dtype=float)
    target = amounts.where(kinds.isin(["min", "max"]))
    relative = kinds == "baseline_plus"
    if relative.any():
        last_year = baseline(period.year_period().shift_years(-1))
        previous = table[["unit_id", "kpi"]].merge(
            last_year[["unit_id", "kpi", "value"]], on=["unit_id", "kpi"], how="left")["value"]
        previous.index = table.index
        raised = previous + amounts
        is_rate = table["kpi"].map({k: kpi.is_rate for k, kpi in KPIS.items()})
        raised = raised.where(~is_rate, np.minimum(raised, 1.0))
        target = target.where(~relative, raised)
    value = table["value"]
    judged = target.notna() & value.notna()
    meets_min = value >= target - _TOLERANCE
    meets_max = value <= target + _TOLERANCE
    met = np.where(kinds == "max", meets_max, meets_min)
    status = np.where(judged, np.where(met, STATUS_MET, STATUS_NOT_MET), STATUS_NA)
    out = table.copy()
    out["target"] = target.to_numpy()
    out["status"] = status
    out["target_rule"] = kinds.to_numpy()
    return out
