"""The dashboard as a CSV download, formula-safe like the roster export."""

from __future__ import annotations

import csv
import io

from matchmaker.metrics.definitions import Dashboard, csv_rows
from matchmaker.rosters.services import spreadsheet_safe


def dashboard_csv(board: Dashboard) -> bytes:
    """UTF-8 with a byte-order mark (Excel reads accents right); no cell runs as a formula.

    Organization, group and opportunity names are typed by people, so a title
    like ``=HYPERLINK(...)`` must arrive as text, exactly as in roster.csv.
    """
    out = io.StringIO()
    writer = csv.writer(out)
    for row in csv_rows(board):
        writer.writerow([spreadsheet_safe(cell) for cell in row])
    return ("\ufeff" + out.getvalue()).encode("utf-8")
