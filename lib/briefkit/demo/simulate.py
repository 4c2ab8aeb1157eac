"""Simulated dossiers: who receives what and when, through which channel, and when each
is resolved. Vectorised over dossiers; every draw comes from the one generator passed in,
in a fixed order, so the same seed gives the same dossiers.

Units and procedures with a life (a reform) only receive dossiers while both exist: the
window is cut into segments where the set of (unit, procedure) pairs stays the same, and
each segment gets its share of the dossiers. A unit that ends clears its desk: what it
still has open on its last day is resolved on its last working day.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from briefkit.demo.calendar import (
    late_factor,
    office_minutes,
    online_uptake_logit,
    quarter_number,
    receipt_volume,
    workdays,
)
from briefkit.demo.world import Catalogue, UnitSpec, World

__all__ = ["CHANNELS", "DIRECT", "ONLINE", "POSTAL", "Pairs", "simulate_dossiers",
           "unit_procedure_pairs"]

CHANNEL_DIRECT, CHANNEL_ONLINE, CHANNEL_POSTAL = "truc_tiep", "truc_tuyen", "buu_chinh"
CHANNELS = (CHANNEL_DIRECT, CHANNEL_ONLINE, CHANNEL_POSTAL)
# Simulated dossiers carry the channel as an index into CHANNELS.
DIRECT = CHANNELS.index(CHANNEL_DIRECT)
ONLINE = CHANNELS.index(CHANNEL_ONLINE)
POSTAL = CHANNELS.index(CHANNEL_POSTAL)


@dataclass(frozen=True)
class Pairs:
    """Every (unit, procedure) pair that receives dossiers, with its expected volume and the
    days it can receive them (the overlap of the unit's and the procedure's lives)."""

    unit: np.ndarray
    procedure: np.ndarray
    volume: np.ndarray
    aggregate_only: np.ndarray  # the pair's unit reports counts only
    first_day: np.ndarray
    last_day: np.ndarray

    def active(self, first: np.datetime64, last: np.datetime64) -> np.ndarray:
        return (self.first_day <= first) & (self.last_day >= last)


def unit_procedure_pairs(units: tuple[UnitSpec, ...], cat: Catalogue) -> Pairs:
    """Which unit resolves which procedure, and the expected yearly volume of each pair.

    A unit resolves the procedures of its level, narrowed to its fields when it has any
    (the same rule the KPI code applies to units.csv), while both exist.
    """
    units_at, procedures, volumes, firsts, lasts = [], [], [], [], []
    for unit_index, unit in enumerate(units):
        if not unit.resolves_dossiers:
            continue
        mask = cat.level == unit.level
        if unit.fields:
            mask &= np.isin(cat.field, unit.fields)
        first = np.maximum(cat.first_day, unit.first_day)
        last = np.minimum(cat.last_day, unit.last_day)
        of_unit = np.flatnonzero(mask & (first <= last))
        units_at.append(np.full(of_unit.size, unit_index))
        procedures.append(of_unit)
        volumes.append(cat.yearly_volume[of_unit] * unit.volume)
        firsts.append(first[of_unit])
        lasts.append(last[of_unit])
    pair_unit = np.concatenate(units_at)
    aggregate_only = np.array([u.aggregate_only for u in units])[pair_unit]
    return Pairs(pair_unit, np.concatenate(procedures), np.concatenate(volumes), aggregate_only,
                 np.concatenate(firsts), np.concatenate(lasts))


def _segments(
    pairs: Pairs, first_day: np.datetime64, last_day: np.datetime64
) -> list[tuple[np.datetime64, np.datetime64]]:
    """[first, last] pieces of the window in which the same pairs are active."""
    changes = np.concatenate([pairs.first_day, pairs.last_day + 1])
    inside = changes[(changes > first_day) & (changes <= last_day)]
    edges = np.unique(np.concatenate([[first_day], inside, [last_day + 1]]))
    return [(edges[i], edges[i + 1] - 1) for i in range(edges.size - 1)]


def simulate_dossiers(
    rng: np.random.Generator,
    world: World,
    units: tuple[UnitSpec, ...],
    n_dossiers: int,
    first_day: np.datetime64,
    last_day: np.datetime64,
    holidays: np.ndarray,
) -> pd.DataFrame:
    """Simulate every dossier of every unit, with internal columns (indices, dates).

    Returns one row per dossier received in [first_day, last_day], plus the backlog
    received in the warm-up period and still open at first_day. resolved_day is NaT for
    dossiers still open at last_day.
    """
    b, cat = world.behaviour, world.catalogue
    pairs = unit_procedure_pairs(units, cat)
    received_day, pair = _draw_receipts(
        rng, world, pairs, n_dossiers, first_day, last_day, holidays
    )
    n = received_day.size
    unit, procedure = pairs.unit[pair], pairs.procedure[pair]
    received_minute = rng.choice(office_minutes(b), n)
    inter_agency = rng.random(n) < _inter_agency_rate(world)[procedure]
    channel = _draw_channels(rng, world, units, unit, procedure, received_day, inter_agency)
    resolution = _draw_resolution(
        rng, world, units, unit, procedure, received_day, received_minute, last_day, holidays
    )
    _clear_desks_of_ended_units(units, unit, received_day, received_minute, resolution,
                                last_day, holidays)
    open_at_end = np.isnat(resolution["resolved_day"])

    # Apologies go with late dossiers once they are overdue; results return by post
    # mostly for postal filings.
    unit_apology_rate = np.array([u.apology_rate for u in units])[unit]
    late = resolution.pop("late")
    overdue_by_end = late & (~open_at_end | (resolution["due_day"] < last_day))
    apology = np.where(
        late,
        overdue_by_end & (rng.random(n) < unit_apology_rate),
        ~open_at_end & (rng.random(n) < b.apology_when_not_late_rate),
    )
    return_rate = np.array([b.return_by_post_rate[c] for c in CHANNELS])[channel]
    returned_by_post = ~open_at_end & (rng.random(n) < return_rate)

    frame = pd.DataFrame({
        "unit": unit,
        "procedure": procedure,
        "channel": channel,
        "received_day": received_day,
        "received_minute": received_minute,
        **resolution,
        "returned_by_post": returned_by_post,
        "apology_sent": apology,
        "inter_agency": inter_agency,
        "tiebreak": rng.random(n),  # orders same-minute receipts when numbering them
    })
    in_backlog = frame["received_day"] < first_day
    still_open_at_start = frame["resolved_day"].isna() | (frame["resolved_day"] >= first_day)
    return frame[~in_backlog | still_open_at_start].reset_index(drop=True)


def _draw_receipts(
    rng: np.random.Generator,
    world: World,
    pairs: Pairs,
    n_dossiers: int,
    first_day: np.datetime64,
    last_day: np.datetime64,
    holidays: np.ndarray,
) -> tuple[np.ndarray, np.ndarray]:
    """Receipt day (from the volume curve) and unit x procedure pair (from volumes).

    Units with dossier rows get ``n_dossiers`` in the window (exactly, when no unit or
    procedure starts or ends in it; else up to rounding), spread over the segments by
    volume; the aggregate-only units as many as their volume implies. The first segment
    also gets a warm-up period whose still open dossiers become the first quarter's
    carried-over backlog.
    """
    segments = _segments(pairs, first_day, last_day)
    segment_days = [workdays(first, last, holidays) for first, last in segments]
    segment_volume = [receipt_volume(days, world) for days in segment_days]
    active = [pairs.active(first, last) for first, last in segments]
    dossier_level = [pairs.volume[~pairs.aggregate_only & a].sum() for a in active]
    expected = np.array([v.sum() * d for v, d in zip(segment_volume, dossier_level, strict=True)])
    warm_up_days = workdays(first_day - world.behaviour.warm_up_days, first_day - 1, holidays)
    warm_up_volume = receipt_volume(warm_up_days, world)
    warm_up_ratio = warm_up_volume.sum() / segment_volume[0].sum()
    days_drawn, pairs_drawn = [], []
    for in_group in (~pairs.aggregate_only, pairs.aggregate_only):
        for index, days in enumerate(segment_days):
            group = np.flatnonzero(in_group & active[index])
            if group.size == 0:
                continue
            group_volume = pairs.volume[group]
            share = expected[index] / expected.sum()
            n_window = round(n_dossiers * share * group_volume.sum() / dossier_level[index])
            draws = [(days, segment_volume[index], n_window)]
            if index == 0:
                draws.append((warm_up_days, warm_up_volume, round(n_window * warm_up_ratio)))
            for day_pool, day_volume, count in draws:
                days_drawn.append(rng.choice(day_pool, count, p=day_volume / day_volume.sum()))
                pairs_drawn.append(rng.choice(group, count, p=group_volume / group_volume.sum()))
    return np.concatenate(days_drawn), np.concatenate(pairs_drawn)


def _inter_agency_rate(world: World) -> np.ndarray:
    """Per procedure: its by-design rate if it is a liên thông procedure, else its field's."""
    b, cat = world.behaviour, world.catalogue
    field_rate = [b.inter_agency_rate_by_field.get(f, b.inter_agency_rate_default)
                  for f in cat.field]
    return np.array([
        b.inter_agency_by_design.get(code, rate)
        for code, rate in zip(cat.procedure_id, field_rate, strict=True)
    ])


def _draw_channels(
    rng: np.random.Generator,
    world: World,
    units: tuple[UnitSpec, ...],
    unit: np.ndarray,
    procedure: np.ndarray,
    received_day: np.ndarray,
    inter_agency: np.ndarray,
) -> np.ndarray:
    """Channel (DIRECT, ONLINE, POSTAL): postal at the unit's share, then online (procedures of
    level 3/4 only) following the world's uptake curve shifted by unit, level, inter-agency
    exchange and a unit x quarter wobble, otherwise in person."""
    b, cat = world.behaviour, world.catalogue
    n = unit.size
    quarter = quarter_number(received_day)
    quarter_wobble = rng.normal(
        0.0, b.unit_quarter_online_noise, (len(units), quarter.max() - quarter.min() + 1)
    )
    quarter_wobble -= quarter_wobble.mean(axis=0)  # units wobble; the world's trend does not
    level_propensity = np.array(
        [b.online_level_propensity.get(level, 0.0) for level in cat.online_level]
    )
    online_logit = (
        online_uptake_logit(received_day, b)
        + np.array([u.online_propensity for u in units])[unit]
        + level_propensity[procedure]
        + b.inter_agency_online_propensity * inter_agency
        + quarter_wobble[unit, quarter - quarter.min()]
    )
    online_capable = cat.online_level[procedure] >= 3
    p_online = np.where(online_capable, 1 / (1 + np.exp(-online_logit)), 0.0)
    postal = rng.random(n) < np.array([u.postal_share for u in units])[unit]
    online = ~postal & (rng.random(n) < p_online)
    return np.select([postal, online], [POSTAL, ONLINE], DIRECT)


def _draw_resolution(
    rng: np.random.Generator,
    world: World,
    units: tuple[UnitSpec, ...],
    unit: np.ndarray,
    procedure: np.ndarray,
    received_day: np.ndarray,
    received_minute: np.ndarray,
    last_day: np.datetime64,
    holidays: np.ndarray,
) -> dict[str, np.ndarray]:
    """Due day, result day and minute (NaT when open at last_day), and the late flag.

    The due day is the receipt day plus the processing time in working days (same-day
    procedures roll to the next day after 15:00). In-time dossiers are resolved on the
    due day or earlier; late ones a few working days after it; stalled ones (mostly
    land and construction) months after it; stuck ones never.
    """
    b, cat = world.behaviour, world.catalogue
    n = unit.size
    processing_days = cat.processing_days[procedure]
    due_offset = processing_days + (
        (processing_days == 0) & (received_minute >= b.same_day_cutoff_minute)
    )
    due_day = np.busday_offset(received_day, due_offset, roll="forward", holidays=holidays)

    stall_rate = np.array([b.stall_rate_by_field.get(f, b.stall_rate_default) for f in cat.field])
    stalled = rng.random(n) < stall_rate[procedure]
    stuck = _pick_stuck(rng, world, received_day, stall_rate[procedure], last_day)
    late_rate = np.array([u.late_rate for u in units])[unit]
    if world.behaviour.late_spells:
        late_rate = late_rate * late_factor(received_day, world.behaviour)
    late = stalled | stuck | (rng.random(n) < late_rate)
    on_due_day = (rng.random(n) < b.on_due_date_share) | (due_offset == 0)
    early_offset = np.floor(rng.random(n) * due_offset).astype(np.int64)
    late_offset = due_offset + rng.geometric(b.late_delay_geometric_p, n)
    stall_offset = due_offset + b.stall_min_delay_days + np.round(
        rng.exponential(b.stall_mean_extra_delay_days, n)
    ).astype(np.int64)
    resolve_offset = np.select(
        [stalled, late, on_due_day], [stall_offset, late_offset, due_offset], early_offset
    )
    resolved_day = np.busday_offset(received_day, resolve_offset, roll="forward", holidays=holidays)
    resolved_day[stuck | (resolved_day > last_day)] = np.datetime64("NaT")

    # Same-day results come a little after the receipt, never before it.
    same_day_delay = rng.integers(*b.same_day_result_delay_minutes, n, endpoint=True)
    same_day_minute = np.maximum(
        received_minute,
        np.minimum(received_minute + same_day_delay, b.latest_same_day_result_minute),
    )
    resolved_minute = np.where(
        resolve_offset == 0, same_day_minute, rng.choice(office_minutes(b), n)
    )
    return {"due_day": due_day, "resolved_day": resolved_day,
            "resolved_minute": resolved_minute, "late": late}


def _pick_stuck(
    rng: np.random.Generator,
    world: World,
    received_day: np.ndarray,
    stall_rate: np.ndarray,
    last_day: np.datetime64,
) -> np.ndarray:
    """Mask of the dossiers that are never resolved (behaviour: stuck_share)."""
    b = world.behaviour
    stuck = np.zeros(received_day.size, dtype=bool)
    old_enough = np.flatnonzero(received_day <= last_day - b.stuck_min_age_days)
    count = min(old_enough.size, max(b.stuck_min_count, round(b.stuck_share * received_day.size)))
    if count == 0:  # a window shorter than stuck_min_age_days
        return stuck
    weight = stall_rate[old_enough]
    stuck[rng.choice(old_enough, count, replace=False, p=weight / weight.sum())] = True
    return stuck


def _clear_desks_of_ended_units(
    units: tuple[UnitSpec, ...],
    unit: np.ndarray,
    received_day: np.ndarray,
    received_minute: np.ndarray,
    resolution: dict[str, np.ndarray],
    last_day: np.datetime64,
    holidays: np.ndarray,
) -> None:
    """A unit that ends before ``last_day`` hands nothing over: its dossiers still open
    after its last day are resolved on its last working day (late if past their due day).
    No dossier of an ended unit is open or resolved after its end."""
    until = np.array([u.last_day for u in units], dtype="datetime64[D]")
    ends = until < last_day
    if not ends.any():
        return
    last_workday = np.busday_offset(until, 0, roll="backward", holidays=holidays)
    resolved = resolution["resolved_day"]
    unit_until = until[unit]
    forced = ends[unit] & (np.isnat(resolved) | (resolved > unit_until))
    resolved[forced] = last_workday[unit][forced]
    same_day = forced & (resolved == received_day)
    minute = resolution["resolved_minute"]
    minute[same_day] = np.maximum(minute[same_day], received_minute[same_day])
    resolution["late"][forced] = resolved[forced] > resolution["due_day"][forced]
