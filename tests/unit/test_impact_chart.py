"""The impact page's pure parts: figures, month buckets and the SVG chart."""

import xml.etree.ElementTree as ET
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

from matchmaker.followthrough.buddy import plan_pairs
from matchmaker.followthrough.chart import acts_per_month_svg, describe
from matchmaker.followthrough.impact import (
    Act,
    hours_text,
    month_starts,
    monthly_counts,
    ordinal,
    summarize,
)

NY = ZoneInfo("America/New_York")
SVG = "{http://www.w3.org/2000/svg}"


def act(i, moment, minutes=120, org="Pantry", causes=("food-security",)) -> Act:
    return Act(signup_id=i, occurrence_id=i, opportunity_id=1, group_id=None,
               organization_id=1, organization_name=org, title="Sort food", moment=moment,
               minutes=minutes, causes=tuple(causes))


def test_month_starts_cross_the_year_and_use_the_residents_zone():
    # 1 January 2027 01:00 UTC is still 31 December in New York.
    now = datetime(2027, 1, 1, 1, 0, tzinfo=UTC)
    months = month_starts(now, NY, 12)
    assert months[0] == date(2026, 1, 1) and months[-1] == date(2026, 12, 1)
    assert len(months) == 12


def test_monthly_counts_leave_out_older_acts():
    now = datetime(2026, 6, 15, 12, tzinfo=NY)
    moments = [datetime(2026, 6, 1, 10, tzinfo=NY), datetime(2026, 6, 2, 10, tzinfo=NY),
               datetime(2026, 1, 31, 23, 30, tzinfo=NY),  # 1 Feb in UTC, January locally
               datetime(2025, 6, 30, 10, tzinfo=NY)]      # 12 months back: not shown
    counts = dict(monthly_counts(moments, now, NY))
    assert counts[date(2026, 6, 1)] == 2
    assert counts[date(2026, 1, 1)] == 1
    assert counts[date(2026, 2, 1)] == 0
    assert date(2025, 6, 1) not in counts
    assert sum(counts.values()) == 3


def test_summarize_adds_up_one_persons_acts():
    now = datetime(2026, 6, 10, 12, tzinfo=NY)
    acts = [act(1, now - timedelta(days=8)), act(2, now - timedelta(days=1), minutes=10,
            org="Library", causes=("education-literacy",))]
    figures = summarize(acts, now=now, zone=NY, people_met=4, show_up_rate=0.5, marked=4)
    assert figures.acts == 2 and figures.minutes == 130
    assert figures.hours_text == "2 hours"
    assert figures.current_streak == 2
    assert figures.causes == [("Education and literacy", 1), ("Food security", 1)]
    assert figures.organizations == [("Library", 1), ("Pantry", 1)]
    assert figures.people_met == 4 and figures.show_up_rate == 0.5


def test_hours_and_ordinals_in_plain_words():
    assert hours_text(10) == "10 minutes"
    assert hours_text(60) == "1 hour"
    assert hours_text(95) == "1½ hours"
    assert hours_text(600) == "10 hours"
    assert [ordinal(n) for n in (1, 2, 3, 4, 10, 11, 12, 13, 21, 22)] == [
        "1st", "2nd", "3rd", "4th", "10th", "11th", "12th", "13th", "21st", "22nd"]


def test_chart_is_accessible_well_formed_svg():
    monthly = [(date(2026, m, 1), n) for m, n in zip(range(1, 13), [0, 1, 2, 0, 5, 3,
                                                                     0, 0, 1, 0, 0, 4])]
    svg = acts_per_month_svg(monthly)
    root = ET.fromstring(svg)
    assert root.tag == f"{SVG}svg" and root.get("role") == "img"
    title = root.find(f"{SVG}title")
    desc = root.find(f"{SVG}desc")
    assert title is not None and title.text
    assert root.get("aria-labelledby") == f"{title.get('id')} {desc.get('id')}"
    assert "16 completed acts" in desc.text and "May 2026: 5" in desc.text
    bars = root.findall(f".//{SVG}rect")
    assert len(bars) == 12
    heights = [float(b.get("height")) for b in bars]
    assert heights[4] == max(heights) and heights[0] == 0.0
    assert heights[11] > heights[5] > heights[1] > 0


def test_chart_with_nothing_done_draws_empty_bars_without_dividing_by_zero():
    monthly = [(date(2026, m, 1), 0) for m in range(1, 13)]
    root = ET.fromstring(acts_per_month_svg(monthly))
    assert all(float(r.get("height")) == 0 for r in root.findall(f".//{SVG}rect"))
    assert describe(monthly).startswith("0 completed acts")


def test_chart_escapes_its_title():
    svg = acts_per_month_svg([(date(2026, 1, 1), 1)], title='<script>"x"</script>')
    assert "<script>" not in svg
    ET.fromstring(svg)


def test_buddy_pairs_spread_newcomers_over_the_most_experienced_regulars():
    regulars = [(10, 3), (11, 7), (12, 5)]
    assert plan_pairs([1, 2, 3, 4], regulars, per_regular=2) == [
        (1, 11), (2, 12), (3, 10), (4, 11)]
    # Regulars who already look out for someone are filled up last; full ones never.
    assert plan_pairs([1, 2], [(10, 3), (11, 7)], load={11: 2}, per_regular=2) == [
        (1, 10), (2, 10)]
    assert plan_pairs([1], [(10, 3)], load={10: 2}, per_regular=2) == []
    assert plan_pairs([1], [], per_regular=2) == []
