"""Working days and the rhythm of the year: days off, receipt volume, online uptake.

Days off come from the world (``world.yaml``'s ``days_off``): either ``package: VN`` —
Vietnam's public holidays as the `holidays` package knows them, the government's decreed
bridge and compensation days included — or, for the district, the rules it was written
with (solar holidays, the Tết break, the Hùng Kings' day, extra days).
"""

from __future__ import annotations

import numpy as np

from briefkit.demo.world import Behaviour, World

__all__ = ["days_off", "office_minutes", "online_uptake_logit", "quarter_number",
           "receipt_volume", "workdays"]


def days_off(world: World, first_year: int, last_year: int) -> np.ndarray:
    """Non-working days besides weekends (weekdays and weekends alike), for busday maths."""
    rules = world.days_off
    days: list[np.datetime64] = []
    if "package" in rules:
        import holidays

        known = holidays.country_holidays(rules["package"], years=range(first_year, last_year + 1))
        days += [np.datetime64(day, "D") for day in known]
    for year in range(first_year, last_year + 1):
        days += [np.datetime64(f"{year}-{md}") for md in rules.get("solar", ())]
        if "tet_break_days" in rules and year in world.lunar_new_year:
            first, last = rules["tet_break_days"]
            tet = np.datetime64(world.lunar_new_year[year])
            days += list(tet + np.arange(first, last + 1))
        if year in rules.get("hung_kings", {}):
            days.append(np.datetime64(rules["hung_kings"][year]))
    days += [np.datetime64(d) for d in rules.get("extra", ())]
    return np.unique(np.array(days, dtype="datetime64[D]"))


def workdays(first: np.datetime64, last: np.datetime64, holidays: np.ndarray) -> np.ndarray:
    days = np.arange(first, last + 1, dtype="datetime64[D]")
    return days[np.is_busday(days, holidays=holidays)]


def receipt_volume(days: np.ndarray, world: World) -> np.ndarray:
    """Relative receipt volume of each working day (weekday, growth, Tết, disruptions)."""
    b = world.behaviour
    weekday = (days.astype(np.int64) + 3) % 7  # 1970-01-01 was a Thursday; Monday = 0
    years = days.astype("datetime64[Y]").astype(np.int64) + 1970
    volume: np.ndarray = np.asarray(b.weekday_volume)[weekday] * (1 + b.yearly_volume_growth) ** (
        years - b.volume_base_year
    )
    for tet in world.lunar_new_year.values():
        offset = (days - np.datetime64(tet)).astype(np.int64)
        volume[(offset < 0) & (offset >= -b.tet_rush["days"])] *= b.tet_rush["factor"]
        restart = (offset > 0) & (offset <= b.tet_slow_restart["days"])
        volume[restart] *= b.tet_slow_restart["factor"]
    for first, last, factor in b.reduced_service:
        volume[(days >= np.datetime64(first)) & (days <= np.datetime64(last))] *= factor
    return volume


def late_factor(days: np.ndarray, behaviour: Behaviour) -> np.ndarray:
    """Factor on each unit's late rate for dossiers received on ``days`` (late spells)."""
    factor = np.ones(days.size)
    for first, last, times in behaviour.late_spells:
        factor[(days >= np.datetime64(first)) & (days <= np.datetime64(last))] *= times
    return factor


def online_uptake_logit(days: np.ndarray, behaviour: Behaviour) -> np.ndarray:
    anchor_days = np.array([d for d, _ in behaviour.online_uptake], dtype="datetime64[D]")
    anchor_share = np.array([s for _, s in behaviour.online_uptake])
    anchor_logit = np.log(anchor_share / (1 - anchor_share))
    return np.asarray(np.interp(days.astype(np.int64), anchor_days.astype(np.int64),
                                anchor_logit))


def office_minutes(behaviour: Behaviour) -> np.ndarray:
    return np.concatenate([np.arange(a, b + 1) for a, b in behaviour.office_hours])


def quarter_number(days: np.ndarray) -> np.ndarray:
    months = days.astype("datetime64[M]").astype(np.int64)  # months since 1970-01
    return months // 3
