"""A small server-side SVG renderer for horizontal bar charts, accessible without colour or script.

Each chart is ``role="img"`` with a ``<title>`` and a ``<desc>`` (named by ``aria-labelledby``), every bar has
its label and its value written next to it, and a hidden cell is drawn as an outlined, hatched bar that says so
in words. The page puts the data table right after each chart.
"""

from __future__ import annotations

from collections.abc import Sequence
from html import escape

BAR_HEIGHT = 22
GAP = 8
LABEL_WIDTH = 230
BAR_SPACE = 330
VALUE_WIDTH = 130
WIDTH = LABEL_WIDTH + BAR_SPACE + VALUE_WIDTH
HIDDEN_WIDTH = 24  # a hidden bar's width: a fixed stub, never a hint of its size


def bar_chart(chart_id: str, title: str, description: str, bars: Sequence[tuple[str, int | None]],
              *, hidden_text: str) -> str:
    """An SVG bar chart; ``None`` values are hidden cells, drawn as a hatched stub labelled ``hidden_text``."""
    safe_id = "".join(ch for ch in chart_id if ch.isalnum() or ch in "-_")
    biggest = max([value for _, value in bars if value] or [1])
    height = GAP + len(bars) * (BAR_HEIGHT + GAP)
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" role="img" class="chart" width="{WIDTH}" height="{height}" '
        f'viewBox="0 0 {WIDTH} {height}" aria-labelledby="{safe_id}-title {safe_id}-desc">',
        f'<title id="{safe_id}-title">{escape(title)}</title>',
        f'<desc id="{safe_id}-desc">{escape(description)}</desc>',
        f'<defs><pattern id="{safe_id}-hatch" width="6" height="6" patternUnits="userSpaceOnUse" '
        f'patternTransform="rotate(45)"><line x1="0" y1="0" x2="0" y2="6" stroke="#555" stroke-width="2"/>'
        f'</pattern></defs>',
    ]
    for index, (label, value) in enumerate(bars):
        y = GAP + index * (BAR_HEIGHT + GAP)
        middle = y + BAR_HEIGHT / 2 + 5
        parts.append(f'<text x="{LABEL_WIDTH - 8}" y="{middle}" text-anchor="end" font-size="14" '
                     f'fill="#1a1a1a">{escape(label)}</text>')
        if value is None:
            parts.append(f'<rect x="{LABEL_WIDTH}" y="{y}" width="{HIDDEN_WIDTH}" height="{BAR_HEIGHT}" '
                         f'fill="url(#{safe_id}-hatch)" stroke="#1a1a1a" stroke-dasharray="3 2"/>')
            shown, end = hidden_text, LABEL_WIDTH + HIDDEN_WIDTH
        else:
            width = round(BAR_SPACE * value / biggest) if value else 0
            parts.append(f'<rect x="{LABEL_WIDTH}" y="{y}" width="{width}" height="{BAR_HEIGHT}" fill="#1f4e79"/>')
            shown, end = str(value), LABEL_WIDTH + width
        parts.append(f'<text x="{end + 6}" y="{middle}" font-size="14" fill="#1a1a1a">{escape(shown)}</text>')
    parts.append("</svg>")
    return "".join(parts)
