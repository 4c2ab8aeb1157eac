"""Reading CSV files into the raw shape."""

from __future__ import annotations

import io
from pathlib import Path

import numpy as np
import pandas as pd

from briefkit.data.raw import Raw, Unreadable, clean_header, header_problems, map_headers
from briefkit.schema import Table


def read_csv(path: Path, table: Table) -> Raw:
    """UTF-8 (BOM or not), ``,`` or — if the header only splits that way — ``;`` or tab."""
    data = path.read_bytes()
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise Unreadable(
            f"not UTF-8 text (byte {exc.start}); save it as 'CSV UTF-8' "
            "(Windows-1258/ANSI exports garble Vietnamese)") from exc
    first_line = text.split("\n", 1)[0]
    if not first_line.strip():
        raise Unreadable("the file is empty or its first line (the header) is blank")
    sep = ","
    if "," not in first_line:
        sep = next((s for s in (";", "\t") if s in first_line), ",")
    try:
        frame = pd.read_csv(io.StringIO(text), sep=sep, header=None, dtype=str,
                            keep_default_na=False, skip_blank_lines=False)
    except (pd.errors.ParserError, ValueError) as exc:
        raise Unreadable(f"CSV syntax error: {exc}") from exc
    header = [clean_header(h) for h in frame.iloc[0].tolist()]
    positions, duplicates = map_headers(header, table)
    body = frame.iloc[1:].reset_index(drop=True)
    columns = {pos: body[pos] for pos in positions.values()}
    # Record i (0-based) sits on spreadsheet row i + 2: blank lines are kept as records
    # (and dropped later) precisely so that this holds.
    rows = np.arange(2, len(body) + 2)
    problems = header_problems(path, table, header, positions, duplicates, 1)
    return Raw(header, 1, positions, columns, rows, problems)
