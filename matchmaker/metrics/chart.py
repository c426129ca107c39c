"""The cohort chart as a server-side SVG (a shaded grid), pure: cohorts in, markup out.

One row per cohort (month of first time), one column per month after it; each
cell's shade and printed percentage is the share of the cohort that came in that
month. The SVG carries a <title> and <desc> and is labelled by them; each cell
has its own <title> (a tooltip for mouse users). The page puts the same numbers
in a table next to it, which is what screen readers and phones should use.
"""

from __future__ import annotations

from html import escape

from matchmaker.metrics.definitions import Cohort, percent

LABEL_WIDTH = 170
SIZE_WIDTH = 70
CELL_WIDTH = 64
ROW_HEIGHT = 34
HEADER_HEIGHT = 40
#: The house minimum for readable text; the SVG is drawn at its natural size (1 unit =
#: 1 CSS pixel) and scrolls sideways on a phone rather than shrinking.
FONT_SIZE = 16

_LIGHT = (238, 244, 251)
_DARK = (29, 79, 145)
#: Above this share the cell is dark enough that white text reads better than black
#: (both ≥ 4.5:1 contrast on either side of it).
_WHITE_TEXT_FROM = 0.75


def cell_colour(value: float) -> str:
    """The fill for a share 0..1, from pale (nobody came) to dark blue (everyone came)."""
    t = min(max(value, 0.0), 1.0)
    r, g, b = (round(lo + (hi - lo) * t) for lo, hi in zip(_LIGHT, _DARK, strict=True))
    return f"#{r:02x}{g:02x}{b:02x}"


def _text(x: float, y: float, content: str, *, anchor: str = "start", fill: str = "#1a1a1a",
          weight: str = "normal") -> str:
    return (f'<text x="{x}" y="{y}" font-size="{FONT_SIZE}" font-family="sans-serif" '
            f'text-anchor="{anchor}" dominant-baseline="middle" fill="{fill}" '
            f'font-weight="{weight}">{escape(content)}</text>')


def cohort_svg(cohorts: list[Cohort], *, id_prefix: str = "cohort", scope_label: str = "") -> str:
    """The chart for ``cohorts`` (oldest first); ids start with ``id_prefix``."""
    offsets = max((len(c.returned) for c in cohorts), default=0)
    width = LABEL_WIDTH + SIZE_WIDTH + CELL_WIDTH * max(offsets, 1) + 10
    height = HEADER_HEIGHT + ROW_HEIGHT * max(len(cohorts), 1) + 10
    title = "How many newcomers came back, month by month"
    if scope_label:
        title += f": {scope_label}"
    starters = sum(c.size for c in cohorts)
    desc = (f"{len(cohorts)} monthly groups of newcomers, {starters} people in all. Each row is "
            "the month of people's first time; each column the 1st, 2nd, 3rd… month after "
            "it; each cell the share of that month's newcomers who came again in that month. "
            "The same figures are in the table below the chart.")
    parts = [
        (f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" '
         f'width="{width}" height="{height}" role="img" class="cohort-chart" '
         f'aria-labelledby="{id_prefix}-title {id_prefix}-desc">'),
        f'<title id="{id_prefix}-title">{escape(title)}</title>',
        f'<desc id="{id_prefix}-desc">{escape(desc)}</desc>',
        _text(4, HEADER_HEIGHT / 2, "First time in", weight="bold"),
        _text(LABEL_WIDTH + SIZE_WIDTH - 8, HEADER_HEIGHT / 2, "People", anchor="end",
              weight="bold"),
    ]
    for k in range(1, offsets + 1):
        x = LABEL_WIDTH + SIZE_WIDTH + CELL_WIDTH * (k - 1) + CELL_WIDTH / 2
        parts.append(_text(x, HEADER_HEIGHT / 2, f"+{k}", anchor="middle", weight="bold"))
    for row, cohort in enumerate(cohorts):
        y = HEADER_HEIGHT + ROW_HEIGHT * row
        middle = y + ROW_HEIGHT / 2
        parts.append(_text(4, middle, cohort.label))
        parts.append(_text(LABEL_WIDTH + SIZE_WIDTH - 8, middle, str(cohort.size), anchor="end"))
        if not cohort.size:
            continue
        for k, value in enumerate(cohort.shares, start=1):
            x = LABEL_WIDTH + SIZE_WIDTH + CELL_WIDTH * (k - 1)
            value = value or 0.0
            words = (f"{cohort.label}: {cohort.returned[k - 1]} of {cohort.size} "
                     f"({percent(value)}) came in month +{k}")
            parts.append(
                f'<g><title>{escape(words)}</title>'
                f'<rect x="{x + 1}" y="{y + 1}" width="{CELL_WIDTH - 2}" '
                f'height="{ROW_HEIGHT - 2}" fill="{cell_colour(value)}"/>'
                + _text(x + CELL_WIDTH / 2, middle, percent(value), anchor="middle",
                        fill="#ffffff" if value >= _WHITE_TEXT_FROM else "#1a1a1a")
                + "</g>")
    parts.append("</svg>")
    return "".join(parts)
