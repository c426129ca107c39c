"""A small bar chart of acts per month, drawn as SVG on the server (no JavaScript).

PURE: takes (month, count) pairs, returns SVG text. Accessible by construction:
``role="img"`` with a <title> and a <desc> that says the figures in words, and
the page shows the same numbers in a table next to it. Every value is escaped.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from html import escape

WIDTH = 600
HEIGHT = 220
#: Room for the month labels under the bars and the counts above them.
BOTTOM = 36
TOP = 28
SIDE = 8


def month_label(month: date) -> str:
    return f"{month:%b}"


def month_name(month: date) -> str:
    return f"{month:%B %Y}"


def describe(monthly: Sequence[tuple[date, int]]) -> str:
    """The figures in one sentence, for the <desc> and screen readers."""
    if not monthly:
        return "No months to show."
    total = sum(n for _, n in monthly)
    parts = [f"{month_name(m)}: {n}" for m, n in monthly]
    first, last = month_name(monthly[0][0]), month_name(monthly[-1][0])
    return (f"{total} completed act{'s' if total != 1 else ''} from {first} to {last}. "
            + "; ".join(parts) + ".")


def acts_per_month_svg(monthly: Sequence[tuple[date, int]], *, chart_id: str = "acts-chart",
                       title: str = "Things you did, month by month") -> str:
    """SVG markup: one bar per month, the count above each bar, the month below."""
    n = max(len(monthly), 1)
    peak = max((count for _, count in monthly), default=0)
    plot_h = HEIGHT - TOP - BOTTOM
    slot = (WIDTH - 2 * SIDE) / n
    bar_w = slot * 0.62
    title_id, desc_id = f"{chart_id}-title", f"{chart_id}-desc"
    out = [
        (f'<svg xmlns="http://www.w3.org/2000/svg" class="impact-chart" id="{escape(chart_id)}" '
         f'viewBox="0 0 {WIDTH} {HEIGHT}" width="100%" role="img" '
         f'aria-labelledby="{escape(title_id)} {escape(desc_id)}" '
         'preserveAspectRatio="xMidYMid meet">'),
        f'<title id="{escape(title_id)}">{escape(title)}</title>',
        f'<desc id="{escape(desc_id)}">{escape(describe(monthly))}</desc>',
        (f'<line x1="{SIDE}" y1="{HEIGHT - BOTTOM}" x2="{WIDTH - SIDE}" y2="{HEIGHT - BOTTOM}" '
         'stroke="currentColor" stroke-width="1" />'),
    ]
    for i, (month, count) in enumerate(monthly):
        x = SIDE + i * slot + (slot - bar_w) / 2
        h = 0 if peak == 0 else plot_h * count / peak
        y = HEIGHT - BOTTOM - h
        cx = x + bar_w / 2
        out.append(
            f'<g class="bar" aria-hidden="true"><rect x="{x:.1f}" y="{y:.1f}" '
            f'width="{bar_w:.1f}" height="{h:.1f}" rx="3" fill="#0b5394" />'
            f'<text x="{cx:.1f}" y="{y - 6:.1f}" text-anchor="middle" font-size="16" '
            f'fill="currentColor">{count}</text>'
            f'<text x="{cx:.1f}" y="{HEIGHT - BOTTOM + 22}" text-anchor="middle" font-size="16" '
            f'fill="currentColor">{escape(month_label(month))}</text></g>'
        )
    out.append("</svg>")
    return "".join(out)
