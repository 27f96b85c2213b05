"""Charts drawn on the server as SVG: no JavaScript, nothing inline for the CSP to refuse
(colours come from classes in reports.css), and every chart labelled for assistive
technology (``role="img"`` named by the caption and a one-line summary, ``aria-labelledby``);
the page puts the chart's table beside it for screen readers.

Coordinates are in the SVG's own units; the ``viewBox`` scales the drawing to its box.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal

from django.utils import formats
from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

FONT = 13
LABEL_CHARS = 30


@dataclass(frozen=True)
class Bar:
    label: str
    value: Decimal | int | None
    note: str = ""  # shown after the value: "(12 dari 40)"


def number(value: Decimal | int | float, places: int = 1) -> str:
    """A figure as people read it in the active language: 1.234,5 in Indonesian."""
    if isinstance(value, int):
        return formats.number_format(value, use_l10n=True, force_grouping=True)
    rounded = Decimal(str(value)).quantize(Decimal(1).scaleb(-places))
    if rounded == rounded.to_integral_value():
        rounded = rounded.quantize(Decimal(1))
    return formats.number_format(rounded, use_l10n=True, force_grouping=True)


def axis(value: float, ticks: int = 5) -> tuple[float, float]:
    """A scale for ``value``: (top, step) with a "round" step (1, 2, 2.5 or 5 times a power
    of ten) and at most ``ticks`` steps, so that the axis reads 0, 10, 20 ... 50 rather than
    0, 10.5, 21 ... 42."""
    if value <= 0:
        return 1.0, 0.25
    power = 10 ** math.floor(math.log10(value / ticks)) if value >= ticks else 0.1
    while True:
        for multiple in (1, 2, 2.5, 5):
            step = multiple * power
            if math.ceil(value / step - 1e-9) <= ticks:
                return step * math.ceil(value / step - 1e-9), step
        power *= 10


def _shorten(text: str, limit: int = LABEL_CHARS) -> str:
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def _open(width: float, height: float, labelled_by: str, css: str) -> str:
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" class="chart {css}" role="img" '
        f'aria-labelledby="{escape(labelled_by)}" viewBox="0 0 {width:g} {height:g}" '
        f'preserveAspectRatio="xMinYMin meet" focusable="false">'
    )


def percent_class(value: Decimal | int | None) -> str:
    """Compliance bands, repeated in words by the value label and the legend: never colour
    alone."""
    if value is None:
        return "bar-none"
    if value >= 80:
        return "bar-good"
    if value >= 50:
        return "bar-mid"
    return "bar-low"


def percent_bars(
    bars: Sequence[Bar],
    *,
    labelled_by: str,
    reference: tuple[Decimal | None, str] | None = None,
) -> SafeString:
    """Horizontal bars on a 0-100 % scale, one per row (compliance per OPD), each coloured by
    its band; ``reference`` draws a dashed line (the Pemda's own percentage) with its label."""
    label_w, bar_w, value_w = 290.0, 370.0, 110.0
    row_h, top, bottom = 26.0, 8.0, 30.0
    width = label_w + bar_w + value_w
    height = top + row_h * max(len(bars), 1) + bottom
    parts = [_open(width, height, labelled_by, "chart-bars")]
    axis_y = top + row_h * max(len(bars), 1)
    for tick in (0, 25, 50, 75, 100):
        x = label_w + bar_w * tick / 100
        parts.append(
            f'<line class="grid" x1="{x:g}" y1="{top:g}" x2="{x:g}" y2="{axis_y:g}"/>'
            f'<text class="tick" x="{x:g}" y="{axis_y + 18:g}" text-anchor="middle">'
            f"{tick}%</text>"
        )
    # Painted in this order: bars, then the reference line over them, then every text on
    # top (with a white halo from the stylesheet), so the line never hides a figure.
    rects: list[str] = []
    texts: list[str] = []
    for i, bar in enumerate(bars):
        y = top + row_h * i
        baseline = y + row_h / 2 + FONT / 3
        texts.append(
            f'<text class="label" x="{label_w - 8:g}" y="{baseline:g}" text-anchor="end">'
            f"<title>{escape(bar.label)}</title>{escape(_shorten(bar.label))}</text>"
        )
        value = bar.value
        if value is None:
            texts.append(f'<text class="value" x="{label_w + 4:g}" y="{baseline:g}">—</text>')
            continue
        w = bar_w * float(max(0, min(100, value))) / 100
        rects.append(
            f'<rect class="{percent_class(value)}" x="{label_w:g}" y="{y + 4:g}" '
            f'width="{max(w, 1.5):.1f}" height="{row_h - 8:g}" rx="2"/>'
        )
        text = f"{number(value)}%"
        if bar.note:
            text += f" {bar.note}"
        texts.append(
            f'<text class="value" x="{label_w + w + 6:.1f}" y="{baseline:g}">{escape(text)}</text>'
        )
    parts.extend(rects)
    if reference is not None and reference[0] is not None:
        x = label_w + bar_w * float(reference[0]) / 100
        parts.append(
            f'<line class="reference" x1="{x:.1f}" y1="{top - 4:g}" x2="{x:.1f}" y2="{axis_y:g}">'
            f"<title>{escape(reference[1])} {escape(number(reference[0]))}%</title></line>"
        )
    parts.extend(texts)
    parts.append("</svg>")
    return mark_safe("".join(parts))  # noqa: S308 - every text above went through escape()


def columns(
    bars: Sequence[Bar],
    *,
    labelled_by: str,
    places: int = 1,
    highlight_last: bool = False,
    css: str = "",
) -> SafeString:
    """Vertical columns with their values on top and labels below (the JP distribution, the
    months of the year), on a scale from 0 to a round number above the tallest."""
    width, height = 480.0, 250.0
    left, right, top, bottom = 44.0, 8.0, 22.0, 34.0
    plot_w, plot_h = width - left - right, height - top - bottom
    values = [float(b.value or 0) for b in bars]
    ceiling, step = axis(max(values, default=0))
    if places == 0 and step < 1:
        ceiling, step = 4.0, 1.0  # counts: never a tick at 0.25 of a person
    parts = [_open(width, height, labelled_by, f"chart-columns {css}".strip())]
    steps = round(ceiling / step)
    for i in range(steps + 1):
        tick = step * i
        y = top + plot_h - plot_h * i / steps
        tick_text = number(Decimal(str(tick)), places if step < 1 else 0)
        parts.append(
            f'<line class="grid" x1="{left:g}" y1="{y:.1f}" x2="{width - right:g}" y2="{y:.1f}"/>'
            f'<text class="tick" x="{left - 6:g}" y="{y + 4:.1f}" text-anchor="end">'
            f"{escape(tick_text)}</text>"
        )
    slot = plot_w / max(len(bars), 1)
    bar_w = slot * 0.68
    for i, bar in enumerate(bars):
        value = values[i]
        h = plot_h * value / ceiling if ceiling else 0
        x = left + slot * i + (slot - bar_w) / 2
        y = top + plot_h - h
        css_class = "col col-last" if highlight_last and i == len(bars) - 1 else "col"
        if value > 0:
            parts.append(
                f'<rect class="{css_class}" x="{x:.1f}" y="{y:.1f}" width="{bar_w:.1f}" '
                f'height="{max(h, 1.0):.1f}" rx="2"/>'
            )
        shown = number(bar.value if isinstance(bar.value, int) else Decimal(str(value)), places)
        parts.append(
            f'<text class="value" x="{x + bar_w / 2:.1f}" y="{y - 5:.1f}" '
            f'text-anchor="middle">{escape(shown)}</text>'
            f'<text class="tick" x="{x + bar_w / 2:.1f}" y="{top + plot_h + 18:g}" '
            f'text-anchor="middle">{escape(bar.label)}</text>'
        )
    parts.append(
        f'<line class="axis" x1="{left:g}" y1="{top + plot_h:g}" x2="{width - right:g}" '
        f'y2="{top + plot_h:g}"/></svg>'
    )
    return mark_safe("".join(parts))  # noqa: S308 - every text above went through escape()
