"""Numbers into chart geometry: the review page draws its bars as SVG from these shapes.

Rules:
- A scale starts at zero and ends at a "nice" maximum (1, 2, 2.5, 5 or 10 times a power of
  ten) at or above the largest value, so bars compare by length and the ticks read well.
- Horizontal bars (one row per group: label, bar, value) carry an optional marker — the p90
  of a lead time, the planned time of a stage — drawn as a tick across the bar.
- Columns (one per week) show a rate between 0 and 1; a week with no deliveries has no column.
- Geometry is in SVG user units; the template scales the SVG to the page width.
- Durations read as hours below two days and as days above ("36 h", "3,5 dias").
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

NICE_STEPS = (1.0, 2.0, 2.5, 5.0, 10.0)


def nice_maximum(value: float) -> float:
    """The smallest nice number at or above ``value`` (1 for nothing to show)."""
    if value <= 0 or not math.isfinite(value):
        return 1.0
    power = 10.0 ** math.floor(math.log10(value))
    for step in NICE_STEPS:
        if step * power >= value * (1 - 1e-9):
            return step * power
    return 10 * power  # pragma: no cover - the last step always fits


def ticks(maximum: float, count: int | None = None) -> tuple[float, ...]:
    """``count + 1`` evenly spaced values from 0 to ``maximum``. By default the step is a round
    number too: a fifth of a maximum of 2.5 or 5 × a power of ten (1, 2, 3, 4, 5, not 1,25 and
    3,75), else a quarter (2.5 for 10, 0.5 for 2)."""
    if count is None:
        leading = maximum / 10.0 ** math.floor(math.log10(maximum)) if maximum > 0 else 1.0
        count = 5 if round(leading, 6) in (2.5, 5.0) else 4
    return tuple(maximum * i / count for i in range(count + 1))


def number_text(value: float) -> str:
    """pt-BR decimals: ``2,5`` (``0,25`` below one); whole numbers without a comma."""
    places = 2 if abs(value) < 1 else 1
    rounded = round(value, places)
    if rounded == int(rounded):
        return str(int(rounded))
    return f"{rounded:.{places}f}".rstrip("0").replace(".", ",")


def duration_text(hours: float | None, *, beside: float | None = None) -> str:
    """``hours`` in hours under two days, else in days. ``beside``: the duration shown next to
    it (an average and its plan, a median and its p90), so that both read in one unit, the
    larger one's: "média 2,7 dias · previsto 1,6 dias", not "… previsto 39 h"."""
    if hours is None:
        return "—"
    if max(hours, beside or 0.0) < 48:
        return f"{number_text(hours)} h"
    return quantity_text(hours / 24, "dias")


def quantity_text(value: float, unit: str) -> str:
    """``value`` and its unit, in the singular for one: "1 dia", "2,5 dias", "0 dias", "36 h"."""
    number = number_text(value)
    return f"{number} {SINGULAR.get(unit, unit) if number == '1' else unit}"


SINGULAR = {"dias": "dia"}


def durations_text(*hours: float | None) -> list[str]:
    """Durations shown side by side, each by ``duration_text`` in one unit, the largest's."""
    largest = max((h for h in hours if h is not None), default=0.0)
    return [duration_text(h, beside=largest) for h in hours]


def percent_text(rate: float | None) -> str:
    if rate is None:
        return "—"
    return f"{round(rate * 100)}%"


@dataclass(frozen=True, slots=True)
class BarInput:
    label: str
    value: float
    value_text: str
    marker: float | None = None
    marker_text: str = ""
    href: str | None = None
    highlighted: bool = False


@dataclass(frozen=True, slots=True)
class Bar:
    label: str
    value_text: str
    y: float
    """Top of the bar's row."""
    length: float
    """The bar's length from the axis."""
    marker_x: float | None
    """Where the marker tick crosses the bar (absolute x), if any."""
    marker_text: str
    href: str | None
    highlighted: bool


@dataclass(frozen=True, slots=True)
class Tick:
    x: float
    text: str


@dataclass(frozen=True, slots=True)
class BarChart:
    width: float
    height: float
    axis_x: float
    """Where the bars start (after the labels)."""
    plot_width: float
    row_height: float
    bar_height: float
    bars: tuple[Bar, ...]
    ticks: tuple[Tick, ...]

    @property
    def value_x(self) -> float:
        """Where the value texts start (after the longest possible bar)."""
        return self.axis_x + self.plot_width + 8

    @property
    def label_chars(self) -> int:
        """How many characters of a label fit before the bars (13 px text, bold for the
        highlighted bar, takes ≈ 7.8 px a character on average in the console's fonts); a
        longer one is cut with "…" and is whole in its title and in the text alternative."""
        return int((self.axis_x - 8) / 7.8)


def bar_chart(
    rows: Sequence[BarInput],
    *,
    width: float = 760,
    label_width: float = 200,
    value_width: float = 240,
    row_height: float = 32,
    unit: str = "h",
) -> BarChart:
    """Horizontal bars on one scale that fits the longest bar and the furthest marker."""
    plot_width = width - label_width - value_width
    largest = max([r.value for r in rows] + [r.marker or 0.0 for r in rows], default=0.0)
    maximum = nice_maximum(largest)
    axis_top = 4.0
    bar_height = row_height * 0.55

    def x_of(value: float) -> float:
        return label_width + plot_width * max(value, 0.0) / maximum

    bars = tuple(
        Bar(
            label=row.label,
            value_text=row.value_text,
            y=axis_top + index * row_height,
            length=x_of(row.value) - label_width,
            marker_x=None if row.marker is None else x_of(row.marker),
            marker_text=row.marker_text,
            href=row.href,
            highlighted=row.highlighted,
        )
        for index, row in enumerate(rows)
    )
    return BarChart(
        width=width,
        height=axis_top + len(rows) * row_height + 22,
        axis_x=label_width,
        plot_width=plot_width,
        row_height=row_height,
        bar_height=bar_height,
        bars=bars,
        ticks=tuple(Tick(x_of(t), quantity_text(t, unit)) for t in ticks(maximum)),
    )


@dataclass(frozen=True, slots=True)
class ColumnInput:
    label: str
    rate: float
    detail: str


@dataclass(frozen=True, slots=True)
class Column:
    label: str
    value_text: str
    detail: str
    x: float
    y: float
    width: float
    height: float


@dataclass(frozen=True, slots=True)
class ColumnChart:
    width: float
    height: float
    plot_top: float
    plot_bottom: float
    axis_x: float
    columns: tuple[Column, ...]
    gridlines: tuple[tuple[float, str], ...]
    """(y, text) of the 0%, 25%, 50%, 75% and 100% lines."""


def rate_columns(
    points: Sequence[ColumnInput],
    *,
    width: float = 720,
    height: float = 240,
    axis_width: float = 48,
    bottom_space: float = 36,
) -> ColumnChart:
    """One column per period (a week), its height the rate (0 to 1) on a 0–100% scale."""
    plot_top, plot_bottom = 24.0, height - bottom_space
    plot_height = plot_bottom - plot_top
    slot = (width - axis_width) / max(len(points), 1)
    column_width = min(slot * 0.7, 56)
    columns = []
    for index, point in enumerate(points):
        rate = min(max(point.rate, 0.0), 1.0)
        column_height = plot_height * rate
        columns.append(
            Column(
                label=point.label,
                value_text=percent_text(point.rate),
                detail=point.detail,
                x=axis_width + slot * index + (slot - column_width) / 2,
                y=plot_bottom - column_height,
                width=column_width,
                height=column_height,
            )
        )
    gridlines = tuple(
        (plot_bottom - plot_height * share, percent_text(share)) for share in ticks(1.0)
    )
    return ColumnChart(
        width=width,
        height=height,
        plot_top=plot_top,
        plot_bottom=plot_bottom,
        axis_x=axis_width,
        columns=tuple(columns),
        gridlines=gridlines,
    )


def duration_chart(rows: Sequence[BarInput], **layout: float) -> BarChart:
    """Bars of hours, scaled in days when the longest passes three days (ticks "0 dias")."""
    largest = max([r.value for r in rows] + [r.marker or 0.0 for r in rows], default=0.0)
    if largest <= 72:
        return bar_chart(rows, unit="h", **layout)
    in_days = [
        BarInput(
            label=r.label,
            value=r.value / 24,
            value_text=r.value_text,
            marker=None if r.marker is None else r.marker / 24,
            marker_text=r.marker_text,
            href=r.href,
            highlighted=r.highlighted,
        )
        for r in rows
    ]
    return bar_chart(in_days, unit="dias", **layout)
