"""Deterministic, realistic demo data: a fictional province after the 2025 reform (the
default) or the fictional urban district of the earlier directives.

The demo data lets people try briefkit, lets the notebooks and reports show real-looking
patterns, and gives the KPI code something big enough to be timed. Everything a briefing
talks about is in it on purpose: the online share rising quarter by quarter, units above
and below target, late dossiers without an apology letter, dossiers still open and
overdue at the end of each quarter, postal filings, inter-agency dossiers, units that only
report Biểu 06 counts, a procedure catalogue that mixes the old "mức độ 2/3/4" vocabulary
with the Decree 42/2022 one.

* ``world="province"``: tỉnh Lâm Giang, its People's Committee and 15 sở/ngành, and
  dossiers from 2024 to 2026Q3. Until 30/6/2025 the communes' dossiers belong to 285
  former wards, communes and towns and the district-level procedures to the departments
  (phòng) of 8 former districts; from 1/7/2025 to 99 communes, wards and one special zone
  (đặc khu), each the merger of 2 to 4 former ones (unit_changes.csv); the departments
  end, their procedures move to the sở and to the communes (unit_changes.csv names as
  each one's successor the sở that took over most of its work).
* ``world="district"``: Quận 13, 8 departments and 14 wards, 2021-2023 (the data of the
  2020-2022 directives, unchanged byte for byte); ``wards=92`` makes 100 briefed units.

Each world is package data (``briefkit/resources/demo/``, see :mod:`briefkit.demo.world`);
the seed only drives the random draws. All draws come from :func:`numpy.random.default_rng`
streams derived from the seed, so the same arguments give byte-identical files (the tests
check it). Generation is vectorised over dossiers (:mod:`briefkit.demo.simulate`).

Units, names, procedure names and codes are fictional but in the national format: do not
read them as the real national catalogue or a real province.
"""

from briefkit.demo.generator import DEFAULT_WARDS, dossiers_for, generate
from briefkit.demo.tables import TABLE_COLUMNS
from briefkit.demo.world import WORLDS, load_world

__all__ = ["DEFAULT_WARDS", "TABLE_COLUMNS", "WORLDS", "dossiers_for", "generate",
           "load_world"]
