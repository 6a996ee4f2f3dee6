"""A daily bar chart as geometry for an inline SVG: drawn by the server, no script, no CDN."""

from __future__ import annotations

from django.utils.translation import ngettext

from dataclasses import dataclass
from decimal import Decimal

from studio.accounting.money import format_money

WIDTH = 720
HEIGHT = 200
# Room for the axis labels: left for the top value, bottom for the first and last day.
LEFT, RIGHT, TOP, BOTTOM = 64, 8, 12, 28
GAP = 0.2


@dataclass(frozen=True)
class Bar:
    x: float
    y: float
    width: float
    height: float
    label: str
    value: str


@dataclass(frozen=True)
class BarChart:
    title: str
    unit: str
    width: int
    height: int
    left: int
    top: int
    plot_width: int
    plot_height: int
    bars: list[Bar]
    top_value: str
    first_label: str
    last_label: str

    @property
    def baseline(self) -> int:
        return self.top + self.plot_height

    @property
    def right(self) -> int:
        return self.left + self.plot_width

    @property
    def label_y(self) -> int:
        return self.baseline + 18


def bar_chart(points: list[tuple[str, Decimal]], *, title: str, unit: str) -> BarChart:
    plot_width, plot_height = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM
    peak = max((value for _, value in points), default=Decimal(0))
    slot = plot_width / max(1, len(points))
    bars = []
    for i, (label, value) in enumerate(points):
        h = float(value / peak) * plot_height if peak > 0 else 0.0
        bars.append(
            Bar(
                x=round(LEFT + i * slot + slot * GAP / 2, 2),
                y=round(TOP + plot_height - h, 2),
                width=round(slot * (1 - GAP), 2),
                height=round(h, 2),
                label=label,
                value=_text(value, unit),
            )
        )
    return BarChart(
        title=title,
        unit=unit,
        width=WIDTH,
        height=HEIGHT,
        left=LEFT,
        top=TOP,
        plot_width=plot_width,
        plot_height=plot_height,
        bars=bars,
        top_value=_text(peak, unit),
        first_label=points[0][0] if points else "",
        last_label=points[-1][0] if points else "",
    )


def _text(value: Decimal, unit: str) -> str:
    if unit == "images":
        return ngettext("%(n)s image", "%(n)s images", int(value)) % {"n": int(value)}
    return format_money(value, unit)
