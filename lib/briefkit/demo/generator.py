"""`generate`: a demo world's tables written as CSV; `dossiers_for`: the district's size
that keeps every unit as busy when wards are added."""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import numpy as np

from briefkit.demo.calendar import days_off
from briefkit.demo.simulate import simulate_dossiers, unit_procedure_pairs
from briefkit.demo.tables import (
    TABLE_COLUMNS,
    aggregates_table,
    documents_table,
    dossiers_table,
    procedures_table,
    unit_changes_table,
    units_table,
    write_csv_atomically,
)
from briefkit.demo.world import UnitSpec, World, load_world

__all__ = ["DEFAULT_WARDS", "dossiers_for", "generate"]

DEFAULT_WARDS = 14  # the district's wards; generate(world="district", wards=N) adds N - 14

# Random streams, one per purpose, so changing one table does not reshuffle the others.
STREAM_DOSSIERS, STREAM_DOCUMENTS = 1, 2


def generate(
    out_dir: str | Path,
    *,
    world: str = "province",
    seed: int = 2022,
    n_dossiers: int | None = None,
    start: str | None = None,
    end: str | None = None,
    wards: int | None = None,
) -> dict[str, Path]:
    """Write the demo tables (CSV) of ``world`` into ``out_dir``; return ``{table: path}``.

    ``world``: ``"province"`` (the default: a province after the 2025 reform, 2024 to
    2026Q3) or ``"district"`` (the district of 2021-2023). ``n_dossiers`` rows of
    dossiers.csv are received between ``start`` and ``end`` (inclusive; defaults: the
    world's, in its world.yaml) — exactly, unless units start or end in the window (then
    up to rounding); a backlog received before ``start`` and still open then is added.
    Aggregate-only units are simulated the same way, in proportion to their volume, and
    written as quarterly Biểu 06 counts in aggregates.csv instead of as rows. A world
    whose units merge (the province) also gets unit_changes.csv. Same arguments, same bytes.

    ``wards`` (district only) above 14 adds wards to the district (see :func:`_with_wards`):
    ``wards=92`` makes 100 briefed units. The 14 wards' units keep their behaviour, but the
    dossiers are drawn anew: ``n_dossiers`` is spread over all units by volume, so scale it
    with the world (:func:`dossiers_for`) to keep each unit's volume.
    """
    spec = load_world(world)
    if wards is not None and world != "district":
        raise ValueError("wards: only the district world has a number of wards")
    first_day = np.datetime64(start or spec.start, "D")
    last_day = np.datetime64(end or spec.end, "D")
    if last_day <= first_day:
        raise ValueError(f"end ({last_day}) must be after start ({first_day})")
    n_dossiers = spec.dossiers if n_dossiers is None else n_dossiers
    if n_dossiers <= 0:
        raise ValueError("n_dossiers must be positive")

    units = _with_wards(spec, DEFAULT_WARDS if wards is None else wards) \
        if world == "district" else spec.units
    holidays = days_off(spec, int(str(first_day)[:4]) - 1, int(str(last_day)[:4]) + 3)
    simulated = simulate_dossiers(
        np.random.default_rng([seed, STREAM_DOSSIERS]), spec, units, n_dossiers, first_day,
        last_day, holidays,
    )
    aggregate_only = np.array([u.aggregate_only for u in units])[simulated["unit"].to_numpy()]
    tables = {
        "units": units_table(units),
        "procedures": procedures_table(spec),
        "dossiers": dossiers_table(spec, units, simulated[~aggregate_only]),
        "aggregates": aggregates_table(units, simulated[aggregate_only], first_day, last_day),
        "documents": documents_table(
            np.random.default_rng([seed, STREAM_DOCUMENTS]), units, first_day, last_day,
            holidays,
        ),
    }
    if spec.has_lives:
        tables["unit_changes"] = unit_changes_table(units)
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    if "unit_changes" not in tables:  # another world's, written here before: not this one's
        (out / "unit_changes.csv").unlink(missing_ok=True)
    written: dict[str, Path] = {}
    for name, table in tables.items():
        written[name] = write_csv_atomically(table[list(TABLE_COLUMNS[name])], out / f"{name}.csv")
    return written


def dossiers_for(wards: int, n_dossiers: int = 100_000) -> int:
    """The district's ``n_dossiers`` that gives a world of ``wards`` wards the volume per
    unit that ``n_dossiers`` gives the 14-ward district (dossier rows, by volume: the
    departments, busier than wards, stay as busy)."""
    spec = load_world("district")

    def dossier_level_volume(units: tuple[UnitSpec, ...]) -> float:
        pairs = unit_procedure_pairs(units, spec.catalogue)
        return float(pairs.volume[~pairs.aggregate_only].sum())

    return round(n_dossiers * dossier_level_volume(_with_wards(spec, wards))
                 / dossier_level_volume(spec.units))


# --------------------------------------------------------------------------------------
# The district with more wards
# --------------------------------------------------------------------------------------


def _free_agency_codes(taken: set[str]) -> Iterator[str]:
    """Agency codes not used by the district: 45-99, 10-19, 29-30, 00-09, then 100..."""
    two_digit = [*range(45, 100), *range(10, 20), 29, 30, *range(0, 10)]
    for number in two_digit:
        if f"{number:02d}" not in taken:
            yield f"{number:02d}"
    yield from (str(number) for number in itertools.count(100))


def _with_wards(spec: World, wards: int) -> tuple[UnitSpec, ...]:
    """The district with ``wards`` wards: its units for the default 14, plus generated
    wards 15..``wards`` otherwise ("UBND Phường 15", ...; world.yaml's extra_wards: ward
    codes ``id_step`` apart after the last ward, the agency codes left unused, every
    ``aggregate_only_every``-th ward reporting Biểu 06 counts only, behaviour drawn once
    from a fixed stream so that the world does not depend on the seed; values rounded
    like the hand-written ones)."""
    if wards < DEFAULT_WARDS:
        raise ValueError(f"wards must be at least {DEFAULT_WARDS} (the default world's)")
    extra = spec.extra_wards
    last_ward = spec.units[-1]
    if int(last_ward.unit_id) + extra["id_step"] * (wards - DEFAULT_WARDS) > extra["max_id"]:
        raise ValueError(f"too many wards ({wards}) for five-digit ward codes")
    codes = _free_agency_codes({u.agency_code for u in spec.units})
    added = []
    for number in range(DEFAULT_WARDS + 1, wards + 1):
        rng = np.random.default_rng([extra["behaviour_seed"], number])
        propensity = float(np.clip(rng.normal(0.0, 0.4), -0.8, 0.8))
        # Wards slow to go online also tend to be late more often (as in the 14).
        late_rate = float(np.clip(0.02 - 0.012 * propensity + rng.normal(0.0, 0.004), 0.008, 0.04))
        unit_id = f"{int(last_ward.unit_id) + extra['id_step'] * (number - DEFAULT_WARDS):05d}"
        added.append(replace(
            last_ward, unit_id=unit_id, name=f"UBND Phường {number}", agency_code=next(codes),
            volume=round(float(np.clip(np.exp(rng.normal(0.0, 0.3)), 0.5, 1.6)), 2),
            online_propensity=round(propensity, 2),
            late_rate=round(late_rate, 3),
            apology_rate=round(float(rng.uniform(0.4, 0.85)), 2),
            postal_share=0.05 if propensity < -0.5 else 0.02,
            aggregate_only=number % extra["aggregate_only_every"] == 0,
            documents_per_year=150, documents_electronic_rate=0.99, documents_signed_rate=0.98,
        ))
    return spec.units + tuple(added)
