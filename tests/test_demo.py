"""The demo data generator on the district world (``world="district"``: the data of the
2020-2022 directives, unchanged byte for byte): deterministic, in the data contract's shape,
with the patterns the briefings are meant to show (rising online share, late and open
dossiers, Biểu 06 aggregates whose identities hold). The province: test_demo_province.py."""

from __future__ import annotations

import hashlib
import time
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest

from briefkit import demo

SMALL = 5_000
START, END = "2021-01-01", "2023-12-31"

# The data contract's columns, written out here so the test checks the contract, not the
# generator's own list.
CONTRACT_COLUMNS = {
    "units": ["unit_id", "name", "kind", "level", "parent_id", "fields"],
    "procedures": ["procedure_id", "name", "field", "level", "online_level"],
    "dossiers": ["dossier_id", "unit_id", "procedure_id", "channel", "received_at", "due_at",
                 "resolved_at", "returned_by_post", "apology_sent", "inter_agency"],
    "aggregates": ["unit_id", "period", "received_online", "received_direct_or_postal",
                   "carried_over", "resolved_early", "resolved_on_time", "resolved_late",
                   "pending_in_time", "pending_overdue", "resolved_online", "received_postal",
                   "returned_by_post", "apology_sent"],
    "documents": ["document_id", "unit_id", "sent_at", "electronic", "digitally_signed"],
}
COUNT_COLUMNS = CONTRACT_COLUMNS["aggregates"][2:]
AGGREGATE_ONLY_WARDS = ["09886", "10015"]
NUMERIC_LEVEL = {"2": 2, "3": 3, "4": 4, "khong": 2, "mot_phan": 3, "toan_trinh": 4}

# sha256 of the files written before generate() had a `wards` option (commit 6f1e34e), for
# the default size and for SMALL: the default world must stay the same, byte for byte.
SHA256_DEFAULT = {
    "units": "55613c9280742a92a0d88df4d16aa095a52ab8ebc6be0c1fba1ae5a6c3c474ff",
    "procedures": "4748e349074b362ff118aafde7c020a57b306c22a3898e5e89fe9d03f8c8447e",
    "dossiers": "728d096f786d90009734398c31f73ba6b4466075ed1caf0458bb2716c99355f2",
    "aggregates": "d8efab3f66fd3a499252ac8265cd6c4d26a2519decc71c13a8e130265aa23d3a",
    "documents": "3c4757350df668325742099313546e4f9bdaa42a84b3f7515db52aa665cb5861",
}
SHA256_SMALL = SHA256_DEFAULT | {
    "dossiers": "724354f3063d6b726fdc782acb95b5109c2cf208933ded0d0f0fc62b34e9cffa",
    "aggregates": "8319344d141adfd763aeafdc5b4a2d78ecc48c3c2b4f3bd20c15f61565f03bc6",
}


def district(out_dir: Path, **arguments: Any) -> dict[str, Path]:
    return demo.generate(out_dir, world="district", **arguments)


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def read(path: Path) -> pd.DataFrame:
    """Everything as text, empty cells as '': the way a careful loader reads ids."""
    return pd.read_csv(path, dtype=str, keep_default_na=False)


@pytest.fixture(scope="module")
def small(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    return district(tmp_path_factory.mktemp("demo") / "new" / "folder", n_dossiers=SMALL)


@pytest.fixture(scope="module")
def tables(small: dict[str, Path]) -> dict[str, pd.DataFrame]:
    return {name: read(path) for name, path in small.items()}


@pytest.fixture(scope="module")
def dossiers(tables: dict[str, pd.DataFrame]) -> pd.DataFrame:
    """Dossiers with parsed dates and the procedure's online level as a number."""
    frame = tables["dossiers"].copy()
    for column in ("received_at", "resolved_at"):
        frame[column] = pd.to_datetime(frame[column].replace("", None), format="%Y-%m-%d %H:%M")
    frame["due_at"] = pd.to_datetime(frame["due_at"], format="%Y-%m-%d")
    level = tables["procedures"].set_index("procedure_id")["online_level"].map(NUMERIC_LEVEL)
    frame["level_number"] = frame["procedure_id"].map(level)
    return frame


def online_rate_by_year(dossiers: pd.DataFrame) -> pd.Series:
    resolved = dossiers[dossiers["resolved_at"].notna()]
    online = resolved["channel"].eq("truc_tuyen")
    return online.groupby(resolved["resolved_at"].dt.year).mean()


# --- files, determinism ---------------------------------------------------------------


def test_writes_the_five_tables_into_a_new_folder(small: dict[str, Path]) -> None:
    assert list(small) == ["units", "procedures", "dossiers", "aggregates", "documents"]
    folder = small["units"].parent
    assert sorted(p.name for p in folder.iterdir()) == sorted(f"{t}.csv" for t in small)
    for path in small.values():
        assert path.stat().st_mode & 0o777 == 0o644


def test_same_arguments_same_bytes_other_seed_other_dossiers(
    small: dict[str, Path], tmp_path: Path
) -> None:
    again = district(tmp_path / "again", n_dossiers=SMALL)
    for name, path in small.items():
        assert again[name].read_bytes() == path.read_bytes(), name
    other = district(tmp_path / "other", n_dossiers=SMALL, seed=7)
    assert other["dossiers"].read_bytes() != small["dossiers"].read_bytes()
    assert other["documents"].read_bytes() != small["documents"].read_bytes()
    # The fake world itself (units, catalogue) does not depend on the seed.
    assert other["units"].read_bytes() == small["units"].read_bytes()
    assert other["procedures"].read_bytes() == small["procedures"].read_bytes()


def test_the_default_world_has_not_changed(small: dict[str, Path]) -> None:
    assert {name: sha256(path) for name, path in small.items()} == SHA256_SMALL


def test_a_failed_write_keeps_the_previous_file_and_no_temporary(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    target = tmp_path / "units.csv"
    target.write_text("previous\n", encoding="utf-8")

    def half_written(self: pd.DataFrame, stream, **kwargs) -> None:
        stream.write("unit_id,na")
        raise OSError("disk full")

    monkeypatch.setattr(pd.DataFrame, "to_csv", half_written)
    with pytest.raises(OSError, match="disk full"):
        district(tmp_path, n_dossiers=100)
    assert target.read_text(encoding="utf-8") == "previous\n"
    assert [p.name for p in tmp_path.iterdir()] == ["units.csv"]


def test_every_file_has_exactly_the_contract_columns(small: dict[str, Path]) -> None:
    for name, path in small.items():
        header = path.read_text(encoding="utf-8").split("\n", 1)[0]
        assert header == ",".join(CONTRACT_COLUMNS[name]), name
        assert not path.read_bytes().startswith(b"\xef\xbb\xbf")  # plain UTF-8, no BOM
        assert b"\r\n" not in path.read_bytes()


def test_a_short_window_mid_quarter(tmp_path: Path) -> None:
    written = district(tmp_path, n_dossiers=300, start="2021-02-15", end="2021-08-20")
    aggregates = read(written["aggregates"])
    assert aggregates["period"].unique().tolist() == ["2021Q1", "2021Q2", "2021Q3"]
    received = read(written["dossiers"])["received_at"]
    assert (received >= "2021-02-15").sum() == 300
    assert received.max() < "2021-08-21"


def test_rejects_impossible_arguments(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="after start"):
        district(tmp_path, start="2023-01-01", end="2022-12-31")
    with pytest.raises(ValueError, match="positive"):
        district(tmp_path, n_dossiers=0)


# --- units and procedures -------------------------------------------------------------


def test_units_form_one_district(tables: dict[str, pd.DataFrame]) -> None:
    units = tables["units"]
    assert units["unit_id"].is_unique
    assert units["kind"].value_counts().to_dict() == {"phuong_xa": 14, "phong_ban": 8, "ubnd": 1}
    district = units[units["kind"] == "ubnd"].iloc[0]
    assert (district["unit_id"], district["level"], district["parent_id"]) == ("UBND", "huyen", "")
    others = units[units["kind"] != "ubnd"]
    assert set(others["parent_id"]) == {"UBND"}
    assert set(units.loc[units["kind"] == "phong_ban", "level"]) == {"huyen"}
    wards = units[units["kind"] == "phuong_xa"]
    assert set(wards["level"]) == {"xa"}
    assert set(wards["fields"]) == {""}
    assert wards["unit_id"].str.fullmatch(r"\d{5}").all()
    assert "Phòng Tư pháp" in set(units["name"])


def test_ward_ids_keep_their_leading_zero(
    small: dict[str, Path], tables: dict[str, pd.DataFrame]
) -> None:
    raw_units = small["units"].read_text(encoding="utf-8")
    assert "\n09868,UBND Phường 1," in raw_units
    zero_led = {u for u in tables["units"]["unit_id"] if u.startswith("0")}
    assert len(zero_led) >= 5
    assert zero_led & set(tables["dossiers"]["unit_id"])
    assert "09886" in set(tables["aggregates"]["unit_id"])
    # The trap the codes set: a loader that guesses types turns them into numbers.
    assert pd.read_csv(small["aggregates"])["unit_id"].iloc[0] == 9886


def test_procedure_catalogue(small: dict[str, Path], tables: dict[str, pd.DataFrame]) -> None:
    procedures = tables["procedures"]
    assert len(procedures) == 149
    assert procedures["procedure_id"].is_unique
    assert procedures["procedure_id"].str.fullmatch(r"[12]\.\d{6}").all()
    assert set(procedures["level"]) == {"huyen", "xa"}
    # Both vocabularies, as in a catalogue half-updated after Decree 42/2022.
    assert set(procedures["online_level"]) == set(NUMERIC_LEVEL)
    # Codes that a float would shorten survive as text.
    raw = small["procedures"].read_text(encoding="utf-8")
    assert "\n1.004230," in raw and "\n1.010000," in raw
    # Every district-level field is handled by exactly one department.
    departments = tables["units"][tables["units"]["kind"] == "phong_ban"]
    handled = [f for fields in departments["fields"] for f in fields.split(";")]
    assert len(handled) == len(set(handled))
    assert set(procedures.loc[procedures["level"] == "huyen", "field"]) == set(handled)


# --- dossiers -------------------------------------------------------------------------


def test_dossier_ids_and_references(tables: dict[str, pd.DataFrame]) -> None:
    dossiers, units = tables["dossiers"], tables["units"]
    assert dossiers["dossier_id"].is_unique
    assert dossiers["dossier_id"].str.fullmatch(r"H12\.\d{2}-\d{6}-\d{4}").all()
    assert set(dossiers["unit_id"]) <= set(units["unit_id"])
    assert set(dossiers["procedure_id"]) <= set(tables["procedures"]["procedure_id"])
    # Every unit has dossiers except the People's Committee and the aggregate-only wards.
    without = set(units["unit_id"]) - set(dossiers["unit_id"])
    assert without == {"UBND", *AGGREGATE_ONLY_WARDS}


def test_each_unit_resolves_only_procedures_of_its_level_and_fields(
    tables: dict[str, pd.DataFrame],
) -> None:
    units = tables["units"].set_index("unit_id")
    procedures = tables["procedures"].set_index("procedure_id")
    pairs = tables["dossiers"][["unit_id", "procedure_id"]].drop_duplicates()
    level_ok = procedures.loc[pairs["procedure_id"], "level"].to_numpy() == \
        units.loc[pairs["unit_id"], "level"].to_numpy()
    assert level_ok.all()
    for unit_id, fields in units["fields"].items():
        if fields:
            used = pairs.loc[pairs["unit_id"] == unit_id, "procedure_id"]
            assert set(procedures.loc[used, "field"]) <= set(fields.split(";")), unit_id


def test_exact_count_in_the_window_plus_a_backlog(dossiers: pd.DataFrame) -> None:
    in_window = dossiers["received_at"] >= pd.Timestamp(START)
    assert in_window.sum() == SMALL
    backlog = dossiers[~in_window]
    assert 0 < len(backlog) < 0.01 * SMALL
    # The backlog is what was still open on the first day.
    assert (backlog["resolved_at"].isna() | (backlog["resolved_at"] >= pd.Timestamp(START))).all()
    assert dossiers["received_at"].max() <= pd.Timestamp(END) + pd.Timedelta(days=1)


def test_formats(tables: dict[str, pd.DataFrame]) -> None:
    dossiers = tables["dossiers"]
    assert dossiers["received_at"].str.fullmatch(r"\d{4}-\d{2}-\d{2} \d{2}:\d{2}").all()
    assert dossiers["due_at"].str.fullmatch(r"\d{4}-\d{2}-\d{2}").all()
    resolved = dossiers["resolved_at"]
    assert resolved[resolved != ""].str.fullmatch(r"\d{4}-\d{2}-\d{2} \d{2}:\d{2}").all()
    assert set(dossiers["channel"]) == {"truc_tiep", "truc_tuyen", "buu_chinh"}
    for column in ("returned_by_post", "apology_sent", "inter_agency"):
        assert set(dossiers[column]) == {"true", "false"}, column
    documents = tables["documents"]
    assert documents["sent_at"].str.fullmatch(r"\d{4}-\d{2}-\d{2}").all()
    assert set(documents["electronic"]) == set(documents["digitally_signed"]) == {"true", "false"}


def test_received_on_working_days_only(dossiers: pd.DataFrame) -> None:
    received = dossiers["received_at"]
    assert (received.dt.day_of_week < 5).all()
    days = set(received.dt.strftime("%Y-%m-%d"))
    for holiday in ("2021-02-12", "2022-02-01", "2022-09-02", "2023-01-02", "2023-05-01"):
        assert holiday not in days
    hours = received.dt.hour * 60 + received.dt.minute
    assert hours.between(7 * 60 + 30, 17 * 60).all()


def test_dates_are_ordered(dossiers: pd.DataFrame) -> None:
    resolved = dossiers[dossiers["resolved_at"].notna()]
    assert (resolved["resolved_at"] >= resolved["received_at"]).all()
    assert (dossiers["due_at"] >= dossiers["received_at"].dt.normalize()).all()
    assert (dossiers["due_at"].dt.day_of_week < 5).all()


def test_online_only_for_level_3_and_4(dossiers: pd.DataFrame) -> None:
    online = dossiers["channel"] == "truc_tuyen"
    assert online.any()
    assert (dossiers.loc[online, "level_number"] >= 3).all()
    assert (dossiers.loc[dossiers["level_number"] == 2, "channel"] != "truc_tuyen").all()


def test_online_share_rises(dossiers: pd.DataFrame) -> None:
    by_year = online_rate_by_year(dossiers)
    assert by_year[2021] < by_year[2022] < by_year[2023]
    assert 0.5 < by_year[2021] < 0.8
    assert by_year[2023] > 0.85


def test_late_dossiers_and_apologies(dossiers: pd.DataFrame) -> None:
    resolved = dossiers[dossiers["resolved_at"].notna()]
    late = resolved["resolved_at"].dt.normalize() > resolved["due_at"]
    assert 0.01 < late.mean() < 0.05
    apology_among_late = resolved.loc[late, "apology_sent"].eq("true").mean()
    assert 0.4 < apology_among_late < 0.9
    assert dossiers["inter_agency"].eq("true").mean() == pytest.approx(0.05, abs=0.02)
    postal = dossiers["channel"] == "buu_chinh"
    assert 0.005 < postal.mean() < 0.06
    returned = resolved["returned_by_post"].eq("true")
    assert returned[resolved["channel"] == "buu_chinh"].mean() > returned.mean()
    assert dossiers.loc[dossiers["resolved_at"].isna(), "returned_by_post"].eq("false").all()


def test_open_and_overdue_dossiers_at_the_end(dossiers: pd.DataFrame) -> None:
    end = pd.Timestamp(END)
    still_open = dossiers["resolved_at"].isna()
    assert still_open.any()
    assert (still_open & (dossiers["due_at"] < end)).any()  # open and overdue
    assert (still_open & (dossiers["received_at"] < end - pd.Timedelta(days=180))).any()
    assert (dossiers["resolved_at"].dropna() <= end + pd.Timedelta(days=1)).all()


# --- aggregates (Biểu 06) -------------------------------------------------------------


@pytest.fixture(scope="module")
def aggregates(tables: dict[str, pd.DataFrame]) -> pd.DataFrame:
    frame = tables["aggregates"].copy()
    frame[COUNT_COLUMNS] = frame[COUNT_COLUMNS].astype(int)
    return frame


def test_aggregates_cover_each_quarter_of_the_two_wards(aggregates: pd.DataFrame) -> None:
    quarters = [f"{y}Q{q}" for y in (2021, 2022, 2023) for q in (1, 2, 3, 4)]
    assert len(aggregates) == 24
    for ward in AGGREGATE_ONLY_WARDS:
        assert aggregates.loc[aggregates["unit_id"] == ward, "period"].tolist() == quarters
    assert (aggregates[COUNT_COLUMNS] >= 0).all().all()
    assert (aggregates["received_online"] > 0).all()


def test_aggregates_satisfy_bieu_06(aggregates: pd.DataFrame) -> None:
    a = aggregates
    received = a["received_online"] + a["received_direct_or_postal"] + a["carried_over"]
    handled = (a["resolved_early"] + a["resolved_on_time"] + a["resolved_late"]
               + a["pending_in_time"] + a["pending_overdue"])
    assert (received == handled).all()
    resolved = a["resolved_early"] + a["resolved_on_time"] + a["resolved_late"]
    assert (a["resolved_online"] <= resolved).all()
    assert (a["received_postal"] <= a["received_direct_or_postal"]).all()
    assert (a["apology_sent"] <= a["resolved_late"]).all()
    assert (a["returned_by_post"] <= resolved).all()


def test_aggregates_carry_over_chain(aggregates: pd.DataFrame) -> None:
    for _, ward in aggregates.groupby("unit_id"):
        pending = (ward["pending_in_time"] + ward["pending_overdue"]).to_numpy()
        assert (ward["carried_over"].to_numpy()[1:] == pending[:-1]).all()


# --- documents ------------------------------------------------------------------------


def test_documents(tables: dict[str, pd.DataFrame]) -> None:
    documents = tables["documents"]
    assert documents["document_id"].is_unique
    assert set(documents["unit_id"]) == set(tables["units"]["unit_id"])
    per_year = documents["sent_at"].str[:4].value_counts()
    assert per_year.between(2_000, 10_000).all() and len(per_year) == 3
    electronic = documents["electronic"] == "true"
    signed = documents["digitally_signed"] == "true"
    assert 0.95 <= electronic.mean() < 1.0
    assert not (signed & ~electronic).any()
    signed_rate = signed[electronic].groupby(documents["unit_id"]).mean()
    assert signed_rate.min() < 0.9 < signed_rate.median()  # most sign, a unit lags


# --- a larger world (generate(wards=N)) ---------------------------------------------

LARGE_WARDS = 30


@pytest.fixture(scope="module")
def large(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    return district(tmp_path_factory.mktemp("large"), n_dossiers=SMALL, wards=LARGE_WARDS)


def test_larger_world_same_arguments_same_bytes(large: dict[str, Path], tmp_path: Path) -> None:
    again = district(tmp_path, n_dossiers=SMALL, wards=LARGE_WARDS)
    for name, path in large.items():
        assert again[name].read_bytes() == path.read_bytes(), name


def test_larger_world_extends_the_district(
    small: dict[str, Path], large: dict[str, Path]
) -> None:
    # The default world's units come first, unchanged; the procedures are the same.
    default_units = small["units"].read_text(encoding="utf-8")
    assert large["units"].read_text(encoding="utf-8").startswith(default_units)
    assert large["procedures"].read_bytes() == small["procedures"].read_bytes()
    units = read(large["units"])
    wards = units[units["kind"] == "phuong_xa"]
    assert len(wards) == LARGE_WARDS and units["unit_id"].is_unique
    assert wards["name"].tolist() == [f"UBND Phường {n}" for n in range(1, LARGE_WARDS + 1)]
    assert wards["unit_id"].str.fullmatch(r"\d{5}").all()
    assert wards["unit_id"].iloc[14:17].tolist() == ["10018", "10021", "10024"]
    assert set(wards["level"]) == {"xa"} and set(wards["parent_id"]) == {"UBND"}
    raw_units = large["units"].read_text(encoding="utf-8")
    assert "\n09868,UBND Phường 1," in raw_units  # leading zeros kept


def test_larger_world_dossiers_and_aggregates(large: dict[str, Path]) -> None:
    dossiers = read(large["dossiers"])
    assert dossiers["dossier_id"].is_unique
    assert dossiers["dossier_id"].str.fullmatch(r"H12\.\d{2}-\d{6}-\d{4}").all()
    aggregate_only = {"09886", "10015", "10036", "10057"}  # wards 7, 14, 21, 28
    assert set(read(large["aggregates"])["unit_id"]) == aggregate_only
    units = read(large["units"])
    without = set(units["unit_id"]) - set(dossiers["unit_id"])
    assert without == {"UBND", *aggregate_only}
    assert set(read(large["documents"])["unit_id"]) == set(units["unit_id"])


def test_dossiers_for_keeps_the_volume_per_unit() -> None:
    assert demo.dossiers_for(demo.DEFAULT_WARDS) == 100_000
    assert demo.dossiers_for(demo.DEFAULT_WARDS, 5_000) == 5_000
    more = [demo.dossiers_for(wards) for wards in (15, 30, 92)]
    assert 100_000 < more[0] < more[1] < more[2]


def test_rejects_too_few_or_too_many_wards(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="at least 14"):
        district(tmp_path, n_dossiers=100, wards=13)
    with pytest.raises(ValueError, match="five-digit"):
        district(tmp_path, n_dossiers=100, wards=40_000)
    assert list(tmp_path.iterdir()) == []


# --- full size ------------------------------------------------------------------------


@pytest.mark.slow
def test_the_default_size_has_not_changed(tmp_path: Path) -> None:
    written = district(tmp_path)
    assert {name: sha256(path) for name, path in written.items()} == SHA256_DEFAULT


@pytest.mark.slow
def test_default_size_is_fast_and_tells_the_story(tmp_path: Path) -> None:
    started = time.perf_counter()
    written = district(tmp_path)
    elapsed = time.perf_counter() - started
    assert elapsed < 15
    frame = read(written["dossiers"])
    received = pd.to_datetime(frame["received_at"], format="%Y-%m-%d %H:%M")
    assert (received >= pd.Timestamp(START)).sum() == 100_000
    assert 100_000 < len(frame) < 101_000

    resolved_at = pd.to_datetime(frame["resolved_at"].replace("", None), format="%Y-%m-%d %H:%M")
    in_2022 = resolved_at.dt.year == 2022
    rate = frame.loc[in_2022, "channel"].eq("truc_tuyen").groupby(frame["unit_id"]).mean()
    assert (rate < 0.8447).sum() >= 5 and (rate >= 0.8447).sum() >= 5

    quarter = resolved_at.dt.to_period("Q")
    by_quarter = frame["channel"].eq("truc_tuyen").groupby(quarter).mean()
    assert np.all(np.diff(by_quarter.to_numpy()) > 0)  # rises quarter by quarter

    # Every quarter has a carried-over backlog and dossiers open past their due date.
    due = pd.to_datetime(frame["due_at"], format="%Y-%m-%d")
    received_day, resolved_day = received.dt.normalize(), resolved_at.dt.normalize()
    for period in pd.period_range(START, END, freq="Q"):
        first, last = period.start_time.normalize(), period.end_time.normalize()
        carried = (received_day < first) & (resolved_day.isna() | (resolved_day >= first))
        pending = (received_day <= last) & (resolved_day.isna() | (resolved_day > last))
        assert carried.sum() > 0, period
        assert (pending & (due < last)).sum() > 0, period
    aggregates = read(written["aggregates"])
    assert (aggregates["carried_over"].astype(int) > 0).all()
