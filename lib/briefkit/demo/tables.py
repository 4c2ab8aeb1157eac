"""The demo tables as written: units, procedures, dossiers, aggregates (Biểu 06 counts),
documents and unit changes, in the data contract's columns, and their atomic CSV output."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

import numpy as np
import pandas as pd

from briefkit.demo.calendar import workdays
from briefkit.demo.simulate import CHANNELS, ONLINE, POSTAL
from briefkit.demo.world import UnitSpec, World

__all__ = ["TABLE_COLUMNS", "aggregates_table", "documents_table", "dossiers_table",
           "procedures_table", "unit_changes_table", "units_table", "write_csv_atomically"]

#: The output files and their columns (data contract v1, snake_case names).
TABLE_COLUMNS: dict[str, tuple[str, ...]] = {
    "units": ("unit_id", "name", "kind", "level", "parent_id", "fields"),
    "procedures": ("procedure_id", "name", "field", "level", "online_level"),
    "dossiers": (
        "dossier_id", "unit_id", "procedure_id", "channel", "received_at", "due_at",
        "resolved_at", "returned_by_post", "apology_sent", "inter_agency",
    ),
    "aggregates": (
        "unit_id", "period", "received_online", "received_direct_or_postal", "carried_over",
        "resolved_early", "resolved_on_time", "resolved_late", "pending_in_time",
        "pending_overdue", "resolved_online", "received_postal", "returned_by_post",
        "apology_sent",
    ),
    "documents": ("document_id", "unit_id", "sent_at", "electronic", "digitally_signed"),
    "unit_changes": ("from_unit_id", "to_unit_id", "effective_date"),
}

OUTPUT_FILE_MODE = 0o644
OLD_ONLINE_LEVEL_LABEL = {2: "2", 3: "3", 4: "4"}
DECREE_42_ONLINE_LEVEL_LABEL = {2: "khong", 3: "mot_phan", 4: "toan_trinh"}


def units_table(units: tuple[UnitSpec, ...]) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "unit_id": [u.unit_id for u in units],
            "name": [u.name for u in units],
            "kind": [u.kind for u in units],
            "level": [u.level for u in units],
            "parent_id": [u.parent_id for u in units],
            "fields": [";".join(u.fields) for u in units],
        },
        dtype="str",
    )


def unit_changes_table(units: tuple[UnitSpec, ...]) -> pd.DataFrame:
    """One row per unit that became part of another: effective the day after its end."""
    merged = [u for u in units if u.successor_id]
    return pd.DataFrame(
        {
            "from_unit_id": [u.unit_id for u in merged],
            "to_unit_id": [u.successor_id for u in merged],
            "effective_date": [str(u.last_day + 1) for u in merged],
        },
        dtype="str",
    )


def procedures_table(world: World) -> pd.DataFrame:
    """The catalogue; a field republished after Decree 42/2022 uses its vocabulary."""
    cat = world.catalogue
    updated = np.array([world.field_updated[f] for f in cat.field], dtype="datetime64[D]")
    new_vocabulary = updated >= np.datetime64(world.decree_42_effective)
    labels = np.where(
        new_vocabulary,
        [DECREE_42_ONLINE_LEVEL_LABEL[x] for x in cat.online_level],
        [OLD_ONLINE_LEVEL_LABEL[x] for x in cat.online_level],
    )
    return pd.DataFrame(
        {"procedure_id": cat.procedure_id, "name": cat.name, "field": cat.field,
         "level": cat.level, "online_level": labels},
        dtype="str",
    )


def dossiers_table(world: World, units: tuple[UnitSpec, ...],
                   simulated: pd.DataFrame) -> pd.DataFrame:
    """Dossier rows as written: ids, text codes, ISO date-times, true/false flags."""
    frame = simulated.sort_values(
        ["unit", "received_day", "received_minute", "tiebreak"], kind="stable"
    ).reset_index(drop=True)
    sequence = frame.groupby(["unit", "received_day"], sort=False).cumcount() + 1
    unit = frame["unit"].to_numpy()
    agency_code = np.array([u.agency_code for u in units], dtype=object)[unit]
    received_day = frame["received_day"].to_numpy()
    yymmdd = pd.Series(np.datetime_as_string(received_day, unit="D")).str.slice(2).str.replace(
        "-", "", regex=False
    )
    dossier_id = (
        world.dossier_id_prefix + "." + pd.Series(agency_code) + "-" + yymmdd + "-"
        + sequence.astype("str").str.zfill(4)
    )
    table = pd.DataFrame({
        "dossier_id": dossier_id,
        "unit_id": np.array([u.unit_id for u in units], dtype=object)[unit],
        "procedure_id": world.catalogue.procedure_id[frame["procedure"].to_numpy()],
        "channel": np.array(CHANNELS, dtype=object)[frame["channel"].to_numpy()],
        "received_at": _format_day_minute(received_day, frame["received_minute"].to_numpy()),
        "due_at": np.datetime_as_string(frame["due_day"].to_numpy(), unit="D"),
        "resolved_at": _format_day_minute(
            frame["resolved_day"].to_numpy(), frame["resolved_minute"].to_numpy()
        ),
        "returned_by_post": _format_bool(frame["returned_by_post"].to_numpy()),
        "apology_sent": _format_bool(frame["apology_sent"].to_numpy()),
        "inter_agency": _format_bool(frame["inter_agency"].to_numpy()),
    }, dtype="str")
    order = np.lexsort((table["dossier_id"].to_numpy(), table["received_at"].to_numpy()))
    return table.iloc[order].reset_index(drop=True)


def _format_day_minute(days: np.ndarray, minutes: np.ndarray) -> np.ndarray:
    """'YYYY-MM-DD HH:MM', or '' where the day is NaT."""
    stamps = days.astype("datetime64[m]") + minutes.astype("timedelta64[m]")
    text = pd.Series(np.datetime_as_string(stamps, unit="m")).str.replace("T", " ", regex=False)
    return np.where(np.isnat(days), "", text.to_numpy(dtype=object))


def _format_bool(values: np.ndarray) -> np.ndarray:
    return np.where(values, "true", "false")


def aggregates_table(
    units: tuple[UnitSpec, ...],
    simulated: pd.DataFrame, first_day: np.datetime64, last_day: np.datetime64
) -> pd.DataFrame:
    """Count the aggregate-only units' simulated dossiers the way Biểu 06 does.

    Counting real (simulated) dossiers makes every identity of the form hold by
    construction: new + carried over = resolved + pending, and a quarter's carried-over
    dossiers are exactly the previous quarter's pending ones. Quarters are clipped to
    [first_day, last_day]; a unit has rows for the quarters of its life only. A pending
    dossier is overdue when its due date is before the last day of the quarter.
    """
    received = simulated["received_day"].to_numpy()
    resolved = simulated["resolved_day"].to_numpy()
    due = simulated["due_day"].to_numpy()
    channel = simulated["channel"].to_numpy()
    unit = simulated["unit"].to_numpy()
    is_open = np.isnat(resolved)
    rows = []
    for quarter in pd.period_range(str(first_day), str(last_day), freq="Q"):
        q_first = max(np.datetime64(quarter.start_time.date(), "D"), first_day)
        q_last = min(np.datetime64(quarter.end_time.date(), "D"), last_day)
        received_in = (received >= q_first) & (received <= q_last)
        carried_over = (received < q_first) & (is_open | (resolved >= q_first))
        resolved_in = ~is_open & (resolved >= q_first) & (resolved <= q_last)
        pending = (received <= q_last) & (is_open | (resolved > q_last))
        counts = {
            "received_online": received_in & (channel == ONLINE),
            "received_direct_or_postal": received_in & (channel != ONLINE),
            "carried_over": carried_over,
            "resolved_early": resolved_in & (resolved < due),
            "resolved_on_time": resolved_in & (resolved == due),
            "resolved_late": resolved_in & (resolved > due),
            "pending_in_time": pending & (due >= q_last),
            "pending_overdue": pending & (due < q_last),
            "resolved_online": resolved_in & (channel == ONLINE),
            "received_postal": received_in & (channel == POSTAL),
            "returned_by_post": resolved_in & simulated["returned_by_post"].to_numpy(),
            "apology_sent": resolved_in & (resolved > due) & simulated["apology_sent"].to_numpy(),
        }
        for unit_index, spec in enumerate(units):
            if spec.aggregate_only and spec.first_day <= q_last and spec.last_day >= q_first:
                of_unit = unit == unit_index
                rows.append({"unit_id": spec.unit_id, "period": str(quarter)}
                            | {k: int((v & of_unit).sum()) for k, v in counts.items()})
    return pd.DataFrame(rows, columns=list(TABLE_COLUMNS["aggregates"]))


def documents_table(
    rng: np.random.Generator,
    units: tuple[UnitSpec, ...],
    first_day: np.datetime64,
    last_day: np.datetime64,
    holidays: np.ndarray,
) -> pd.DataFrame:
    """Official documents sent by each unit while it exists: mostly electronic, mostly
    digitally signed."""
    all_workdays = workdays(first_day, last_day, holidays)
    sent_parts, electronic_parts, signed_parts, owner_parts = [], [], [], []
    for index, unit in enumerate(units):
        first, last = max(first_day, unit.first_day), min(last_day, unit.last_day)
        days = all_workdays[(all_workdays >= first) & (all_workdays <= last)]
        years_covered = (last - first + 1).astype(np.int64) / 365.25
        count = int(rng.poisson(unit.documents_per_year * years_covered))
        sent_parts.append(np.sort(rng.choice(days, count)))
        electronic = rng.random(count) < unit.documents_electronic_rate
        electronic_parts.append(electronic)
        signed_parts.append(electronic & (rng.random(count) < unit.documents_signed_rate))
        owner_parts.append(np.full(count, index))
    sent = np.concatenate(sent_parts)
    owner = np.concatenate(owner_parts)
    unit_id = pd.Series(np.array([u.unit_id for u in units], dtype=object)[owner])
    year = pd.Series(sent.astype("datetime64[Y]").astype(np.int64) + 1970)
    number = year.groupby([owner, year]).cumcount() + 1  # numbering restarts every year
    table = pd.DataFrame({
        "document_id": "VB-" + unit_id + "-" + year.astype("str") + "-"
        + number.astype("str").str.zfill(5),
        "unit_id": unit_id,
        "sent_at": np.datetime_as_string(sent, unit="D"),
        "electronic": _format_bool(np.concatenate(electronic_parts)),
        "digitally_signed": _format_bool(np.concatenate(signed_parts)),
    }, dtype="str")
    order = np.lexsort((table["document_id"].to_numpy(), table["sent_at"].to_numpy()))
    return table.iloc[order].reset_index(drop=True)


def write_csv_atomically(table: pd.DataFrame, path: Path) -> Path:
    """Write a CSV next to its final place, then rename: readers never see half a file."""
    handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(handle, "w", encoding="utf-8", newline="") as stream:
            table.to_csv(stream, index=False, lineterminator="\n")
        os.chmod(temporary, OUTPUT_FILE_MODE)  # mkstemp creates 0600 files
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
    return path
