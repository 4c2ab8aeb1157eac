"""The KPI library: every KPI is defined once and computed from validated frames.

How it works, in one direction only (one module per step):

1. :mod:`~briefkit.kpis.registry`: every KPI is a :class:`KpiDef` in :data:`KPIS`, naming its
   numerator and denominator among the *base counts* (:data:`BASE_COUNTS`). Tables, charts,
   narrative and the annex all read :data:`KPIS`.
2. :mod:`~briefkit.kpis.dossiers`: each dossier's flags for a period (received online,
   resolved late, …), from arrays read once per dataset.
3. :mod:`~briefkit.kpis.catalogue` and :mod:`~briefkit.kpis.aggregates`: the procedures each
   unit offers (procedure coverage), and the Biểu 06 rows of aggregate-only units.
4. :mod:`~briefkit.kpis.counts`: one row of base counts per unit and period — the flags
   summed per unit, aggregate rows where they stand in for dossiers, catalogue and documents.
5. :mod:`~briefkit.kpis.rows`: a KPI row is ``numerator``, ``denominator`` and a value derived
   by one function (:func:`_value`); roll-ups (``*``, ``*huyen`` …) add up their members'
   numerators and denominators over the members that report both, and the
   procedure-coverage KPIs count distinct procedures instead.
6. :mod:`~briefkit.kpis.changes`: units that merged (unit_changes): while a former unit
   exists, the unit it became part of adds up its figures (``basis`` ``predecessors``);
   once it has ended it has no rows.
7. :mod:`~briefkit.kpis.tables`: targets, status, same-period-last-year change and ranks are
   joined on last; :class:`KpiTables` computes each period's figures once, so a table, its
   comparison, its baselines and its history share the work (:func:`kpi_tables`).

Adding a KPI: add its base count to :meth:`DossierArrays.flags` (and ``_DOSSIER_COUNTS``) if
it needs a new one (a new per-dossier fact as a boolean array of :class:`DossierArrays`, which
:meth:`DossierArrays.grouped` then keys on by itself), add one :class:`KpiDef` to
:data:`KPIS`, and one test.
"""

from briefkit.kpis.aggregates import AggregateRows, aggregate_counts
from briefkit.kpis.catalogue import CatalogueArrays, container_units, unit_catalogue
from briefkit.kpis.changes import BASIS_OWN, BASIS_PREDECESSORS, UnitChanges
from briefkit.kpis.counts import BASE_INDEX, PeriodCounts, UnitCounts, unit_counts
from briefkit.kpis.dossiers import DossierArrays, dossier_indicators, late_without_apology
from briefkit.kpis.registry import (
    _KPI_LIST,
    BASE_COUNTS,
    BIEU06_COLUMNS,
    DEFAULT_INDEX766_FILE,
    KPI_CSV_COLUMNS,
    KPIS,
    OUTPUTS,
    ROLLUP_ALL,
    ROLLUP_KIND,
    ROLLUP_NAMES,
    STATUS_MET,
    STATUS_NA,
    STATUS_NOT_MET,
    Direction,
    Kind,
    KpiDef,
    ScoreRule,
    load_index766_weights,
    shown_in,
)
from briefkit.kpis.rows import (
    TableLayout,
    _value,
    bieu06_frame,
    kpis_csv_frame,
    rank_units,
    rollup_groups,
)
from briefkit.kpis.tables import KpiTables, compute_kpis, kpi_history, kpi_tables

__all__ = [
    "BASE_COUNTS", "BASE_INDEX", "BASIS_OWN", "BASIS_PREDECESSORS", "BIEU06_COLUMNS",
    "DEFAULT_INDEX766_FILE", "KPIS", "KPI_CSV_COLUMNS", "OUTPUTS", "ROLLUP_ALL", "ROLLUP_KIND",
    "ROLLUP_NAMES", "STATUS_MET", "STATUS_NA",
    "STATUS_NOT_MET", "_KPI_LIST", "AggregateRows", "CatalogueArrays", "Direction",
    "DossierArrays", "Kind", "KpiDef", "KpiTables", "PeriodCounts", "ScoreRule", "TableLayout",
    "UnitChanges", "UnitCounts", "_value", "aggregate_counts", "bieu06_frame", "compute_kpis",
    "container_units", "dossier_indicators", "kpi_history", "kpi_tables", "kpis_csv_frame",
    "late_without_apology", "load_index766_weights", "rank_units", "rollup_groups", "shown_in",
    "unit_catalogue", "unit_counts",
]
