"""The pure side of the dashboards: rates, periods, the cohort matrix, the CSV rows and
the SVG chart, on small hand-made inputs whose right answers are written next to them."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from datetime import UTC, datetime
from pathlib import Path

import pytest

from matchmaker.metrics import chart
from matchmaker.metrics import definitions as d

SVG = "{http://www.w3.org/2000/svg}"


# --- period ---------------------------------------------------------------------------------

@pytest.mark.parametrize("value, days", [(None, 90), ("", 90), ("30", 30), ("90", 90),
                                         ("365", 365)])
def test_period_choices(value, days):
    assert d.parse_period(value) == days


@pytest.mark.parametrize("value", ["7", "0", "-30", "abc", "30.0", "1e3", " 30x"])
def test_other_periods_are_refused_with_the_choices(value):
    with pytest.raises(d.PeriodError, match="one of 30, 90, 365 days"):
        d.parse_period(value)


def test_period_runs_back_from_now():
    now = datetime(2026, 6, 15, 12, tzinfo=UTC)
    period = d.Period.ending(now, 30)
    assert period.start == datetime(2026, 5, 16, 12, tzinfo=UTC) and period.end == now
    assert period.label == "Last 30 days"


# --- rates ----------------------------------------------------------------------------------

def test_show_up_and_no_show_rates_leave_unmarked_out():
    # 3 came, 1 did not, 5 nobody marked, 2 passed their spot on: 3 / (3 + 1).
    counts = d.SignupCounts(total=12, confirmed=10, released=2, attended=3, no_show=1,
                            not_marked=5, still_to_come=1)
    assert counts.marked == 4
    assert counts.show_up_rate == 0.75 and counts.no_show_rate == 0.25
    assert d.percent(counts.show_up_rate) == "75%" and d.percent(counts.no_show_rate) == "25%"


def test_nothing_marked_is_no_figure_not_zero():
    counts = d.SignupCounts(total=4, confirmed=4, not_marked=4)
    assert counts.show_up_rate is None and counts.no_show_rate is None
    assert d.percent(None) == "no figure yet"


@pytest.mark.parametrize("part, whole, shown", [(2, 3, "67%"), (1, 3, "33%"), (1, 8, "13%"),
                                                (0, 5, "0%"), (5, 5, "100%"), (1, 200, "1%")])
def test_percent_rounds_half_up(part, whole, shown):
    assert d.percent(d.share(part, whole)) == shown


def test_came_back_share_counts_only_judged_first_timers():
    # 10 first-timers: 6 whose 30 days are over (2 came back), 4 too early to tell.
    r = d.ReturnCounts(window_days=30, judged=6, came_back=2, too_early=4)
    assert d.percent(r.rate) == "33%"
    assert d.ReturnCounts(window_days=60, judged=0, too_early=3).rate is None


# --- cohorts ----------------------------------------------------------------------------------

def test_month_numbers_and_labels():
    assert d.month_number(datetime(2026, 1, 31, 23, 59, tzinfo=UTC)) == 2026 * 12
    assert d.month_number(datetime(2025, 12, 1, tzinfo=UTC)) == 2026 * 12 - 1
    assert d.month_label(2026 * 12) == "January 2026"
    assert d.month_label(2026 * 12 - 1) == "December 2025"


def test_cohort_matrix_from_rows():
    jan = 2026 * 12
    rows = [
        (jan, 0, 4), (jan, 1, 2), (jan, 3, 1),   # 4 started in January; 2 came in Feb, 1 in Apr
        (jan + 2, 0, 2), (jan + 2, 1, 2),         # 2 started in March; both came in April
    ]
    cohorts = d.cohort_matrix(rows, first_month=jan, current_month=jan + 3)
    assert [c.label for c in cohorts] == ["January 2026", "February 2026", "March 2026",
                                          "April 2026"]
    janc, febc, marc, aprc = cohorts
    assert (janc.size, janc.returned) == (4, (2, 0, 1))
    assert [d.percent(v) for v in janc.shares] == ["50%", "0%", "25%"]
    assert (febc.size, febc.returned, febc.shares) == (0, (0, 0), (None, None))
    assert (marc.size, marc.returned) == (2, (2,))
    assert (aprc.size, aprc.returned) == (0, ())


def test_cohort_matrix_ignores_rows_before_the_first_month():
    cohorts = d.cohort_matrix([(10, 0, 5), (12, 0, 1)], first_month=11, current_month=12)
    assert [(c.month, c.size) for c in cohorts] == [(11, 0), (12, 1)]


# --- CSV rows ---------------------------------------------------------------------------------

def _board(**overrides):
    now = datetime(2026, 6, 15, 12, tzinfo=UTC)
    values = {
        "scope_label": "Park Slope Food Pantry", "period": d.Period.ending(now, 90),
        "signups": d.SignupCounts(total=16, confirmed=13, waitlisted=1, released=1,
                                  cancelled=1, attended=9, no_show=2, not_marked=1,
                                  still_to_come=1),
        "first_timers": d.FirstTimers(total=4, returns=(
            d.ReturnCounts(30, judged=3, came_back=1, too_early=1),
            d.ReturnCounts(60, judged=2, came_back=2, too_early=2))),
        "regulars": 1,
        "cohorts": d.cohort_matrix([(2026 * 12 + 3, 0, 3), (2026 * 12 + 3, 1, 2)],
                                   2026 * 12 + 3, 2026 * 12 + 5),
    }
    values.update(overrides)
    return d.Dashboard(**values)


def test_csv_rows_have_values_and_definitions():
    rows = d.csv_rows(_board())
    by_name = {r[0]: r for r in rows if r}
    assert by_name["Figures for"][1] == "Park Slope Food Pantry"
    assert by_name["Period"][1] == "2026-03-17 to 2026-06-15 (UTC)"
    assert by_name["Sign-ups"][1:] == ["16", d.HELP["signups"]]
    assert by_name["Show-up rate"][1:] == ["82%", d.HELP["show_up_rate"]]
    assert by_name["No-show rate"][1] == "18%"
    assert by_name["First-timers who came back within 30 days"][1] == "33%"
    assert by_name["First-timers who came back within 60 days"][1] == "100%"
    assert by_name["Regulars"][1:] == ["1", d.HELP["regulars"]]
    assert by_name["Month of first time"] == ["Month of first time", "People", "Month +1",
                                              "Month +2"]
    assert by_name["April 2026"] == ["April 2026", "3", "67%", "0%"]
    assert by_name["May 2026"] == ["May 2026", "0", ""]


def test_csv_rows_of_an_empty_scope():
    rows = d.csv_rows(_board(signups=d.SignupCounts(), first_timers=d.FirstTimers(
        returns=(d.ReturnCounts(30), d.ReturnCounts(60))), regulars=0, cohorts=[]))
    by_name = {r[0]: r for r in rows if r}
    assert by_name["Show-up rate"][1] == "no figure yet"
    assert by_name["First-timers who came back within 30 days"][1] == "no figure yet"


def test_help_text_covers_every_figure():
    for key in ("period", "signups", "show_up_rate", "no_show_rate", "not_marked",
                "first_timers", "came_back", "regulars", "cohorts", "privacy"):
        assert len(d.HELP[key]) > 40, key
    # The numbers in the words are the numbers in the code.
    assert f"{d.REGULAR_MIN_ACTS} or more times" in d.HELP["regulars"]
    assert "30" in d.HELP["came_back"] and "60" in d.HELP["came_back"]
    assert f"last {d.COHORT_MONTHS} months" in d.HELP["cohorts"].lower()
    assert "never count as no-shows" in d.HELP["show_up_rate"]


# --- the chart ------------------------------------------------------------------------------

def test_svg_is_labelled_and_well_formed():
    board = _board()
    svg = chart.cohort_svg(board.cohorts, scope_label="<Pantry & friends>")
    root = ET.fromstring(svg)
    assert root.get("role") == "img"
    assert root.get("aria-labelledby") == "cohort-title cohort-desc"
    assert root.find(f"{SVG}title").text.endswith(": <Pantry & friends>")
    assert "3 people in all" in root.find(f"{SVG}desc").text
    # April: 2 cells (May, June); May: none (nobody new); June: none (no month after yet).
    cells = root.findall(f"{SVG}g")
    assert [c.find(f"{SVG}title").text for c in cells] == [
        "April 2026: 2 of 3 (67%) came in month +1",
        "April 2026: 0 of 3 (0%) came in month +2",
    ]


def test_svg_with_no_cohorts_is_still_valid():
    root = ET.fromstring(chart.cohort_svg([]))
    assert root.find(f"{SVG}title") is not None and root.findall(f"{SVG}g") == []


def test_cell_colours_and_readable_text():
    assert chart.cell_colour(0) == "#eef4fb"
    assert chart.cell_colour(1) == "#1d4f91"
    assert chart.cell_colour(2) == chart.cell_colour(1)
    full = d.Cohort(month=2026 * 12, size=4, returned=(4, 1))
    root = ET.fromstring(chart.cohort_svg([full]))
    fills = [g.find(f"{SVG}text").get("fill") for g in root.findall(f"{SVG}g")]
    assert fills == ["#ffffff", "#1a1a1a"]   # 100% on dark blue, 25% on pale blue


def test_pure_modules_import_neither_flask_nor_sqlalchemy():
    package = Path(__file__).resolve().parents[2] / "matchmaker" / "metrics"
    for name in ("definitions.py", "chart.py"):
        text = (package / name).read_text()
        assert not re.search(r"^\s*(import|from)\s+(flask|sqlalchemy)", text,
                             re.IGNORECASE | re.MULTILINE), name
