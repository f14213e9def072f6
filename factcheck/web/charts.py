"""Server-side bar charts: the geometry of an SVG drawn by ``templates/web/_chart.html``.

No script and no inline style (the CSP forbids both): bars are plain ``<rect>`` elements
whose colours come from CSS classes in our stylesheet.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date

WIDTH, HEIGHT = 640, 220
LEFT, RIGHT, TOP, BOTTOM = 40, 10, 12, 28


@dataclass(frozen=True)
class Series:
    name: str
    css_class: str
    values: Sequence[float | None]


@dataclass(frozen=True)
class Bar:
    x: float
    y: float
    width: float
    height: float
    css_class: str
    title: str


@dataclass
class Chart:
    title: str
    unit: str
    days: Sequence[date]
    series: Sequence[Series]
    width: int = WIDTH
    height: int = HEIGHT
    bars: list[Bar] = field(default_factory=list)
    x_labels: list[tuple[float, str]] = field(default_factory=list)
    y_ticks: list[tuple[float, str]] = field(default_factory=list)
    baseline: float = HEIGHT - BOTTOM
    left: float = LEFT
    right: float = WIDTH - RIGHT

    @property
    def rows(self) -> list[tuple[date, list[str]]]:
        """The data as a table (for screen readers and for people who want the numbers)."""
        return [
            (day, ["—" if s.values[i] is None else _format(s.values[i] or 0.0) for s in self.series])
            for i, day in enumerate(self.days)
        ]


def _nice_ceiling(value: float) -> float:
    """1, 2, 5, 10, 20, 50, ... at or above ``value`` (at least 1)."""
    if value <= 1:
        return 1.0
    magnitude = 10 ** math.floor(math.log10(value))
    for step in (1, 2, 5, 10):
        if step * magnitude >= value:
            return float(step * magnitude)
    return float(10 * magnitude)  # pragma: no cover (the loop always returns)


def _format(value: float) -> str:
    return f"{value:.0f}" if value >= 10 or value == int(value) else f"{value:.1f}"


def bar_chart(title: str, unit: str, days: Sequence[date], series: Sequence[Series]) -> Chart:
    """Grouped bars, one group per day, one bar per series; missing values draw nothing."""
    chart = Chart(title=title, unit=unit, days=days, series=series)
    plot_height = chart.baseline - TOP
    top = _nice_ceiling(max((v for s in series for v in s.values if v is not None), default=0.0))
    slot = (chart.right - chart.left) / max(len(days), 1)
    bar_width = slot * 0.8 / max(len(series), 1)
    for index, day in enumerate(days):
        start = chart.left + index * slot + slot * 0.1
        for number, one in enumerate(series):
            value = one.values[index]
            if value is None:
                continue
            height = plot_height * value / top
            chart.bars.append(
                Bar(
                    x=round(start + number * bar_width, 2),
                    y=round(chart.baseline - height, 2),
                    width=round(bar_width, 2),
                    height=round(height, 2),
                    css_class=one.css_class,
                    title=f"{day:%d %b}: {_format(value)} {unit} ({one.name})",
                )
            )
        if (len(days) - 1 - index) % 7 == 0:  # weekly, ending on the latest day
            chart.x_labels.append((round(start + slot * 0.4, 2), f"{day:%d %b}"))
    chart.y_ticks = [
        (round(chart.baseline - plot_height * fraction, 2), _format(top * fraction))
        for fraction in (0, 0.5, 1)
    ]
    return chart
