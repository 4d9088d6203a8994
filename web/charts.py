"""Charts drawn on the server as inline SVG: bars, lines, a waterfall and a sparkline.

Hand-written rather than pygal because pygal puts a <style> block and style attributes inside every chart, which
the app's content security policy (style-src 'self', no inline styles) refuses; here every colour and font comes
from classes in static/app.css. Nothing runs in the browser and nothing is fetched from elsewhere, so the charts
work offline. Each chart carries a <title> and <desc> for screen readers, every bar and point its own <title>
with the exact value, and labels arrive already translated; numbers are written in the page's locale
("1,2 млн" / "1.2M").
"""

import itertools
import math
from collections.abc import Callable, Sequence

from babel.numbers import format_compact_decimal, format_decimal
from markupsafe import Markup, escape

WIDTH = 640
HEIGHT = 340
MARGIN_LEFT = 64
MARGIN_RIGHT = 16
MARGIN_TOP = 36
MARGIN_BOTTOM = 96
# How many data series get their own colour class (series-0 … series-5); further series reuse them in turn.
SERIES_COLOURS = 6

Formatter = Callable[[float], str]
# Ids that tie each chart's <title> to aria-labelledby, distinct across the charts on one page.
_chart_ids = itertools.count(1)


def _compact(locale: str) -> Formatter:
    return lambda value: format_compact_decimal(value, locale=locale, fraction_digits=1)


def _exact(locale: str) -> Formatter:
    return lambda value: format_decimal(round(value, 2), locale=locale)


def _ticks(low: float, high: float, count: int = 5) -> list[float]:
    """Round axis values covering low..high (zero always inside), about `count` of them."""
    low, high = min(low, 0.0), max(high, 0.0)
    if high == low:
        high = low + 1.0
    raw = (high - low) / count
    magnitude = 10 ** math.floor(math.log10(raw))
    step = next(m * magnitude for m in (1, 2, 2.5, 5, 10) if m * magnitude >= raw)
    first = math.floor(low / step) * step
    ticks = [first]
    while ticks[-1] < high - 1e-9:
        ticks.append(ticks[-1] + step)
    return ticks


class _Frame:
    """The plot area and the mapping from values to y pixels."""

    def __init__(self, low: float, high: float) -> None:
        self.ticks = _ticks(low, high)
        self.low, self.high = self.ticks[0], self.ticks[-1]
        self.left, self.right = MARGIN_LEFT, WIDTH - MARGIN_RIGHT
        self.top, self.bottom = MARGIN_TOP, HEIGHT - MARGIN_BOTTOM

    def y(self, value: float) -> float:
        share = (value - self.low) / (self.high - self.low)
        return round(self.bottom - share * (self.bottom - self.top), 1)

    def grid(self, fmt: Formatter) -> list[str]:
        parts = ['<g class="chart-grid">']
        for tick in self.ticks:
            y = self.y(tick)
            parts.append(f'<line x1="{self.left}" x2="{self.right}" y1="{y}" y2="{y}"/>')
            parts.append(
                f'<text class="chart-y-label" x="{self.left - 6}" y="{y + 4}" text-anchor="end">'
                f"{escape(fmt(tick))}</text>"
            )
        parts.append("</g>")
        return parts


def _svg(kind: str, title: str, description: str, body: list[str], height: int = HEIGHT) -> Markup:
    title_id = f"chart-{next(_chart_ids)}"
    head = (
        f'<svg class="chart chart-{kind}" xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {WIDTH} {height}"'
        f' role="img" aria-labelledby="{title_id}-t {title_id}-d">'
        f'<title id="{title_id}-t">{escape(title)}</title><desc id="{title_id}-d">{escape(description)}</desc>'
        f'<text class="chart-title" x="{WIDTH // 2}" y="20" text-anchor="middle">{escape(title)}</text>'
    )
    return Markup(head + "".join(body) + "</svg>")


def _x_label(x: float, label: str, slots: int) -> str:
    # Many columns: tilt the labels so long Russian words do not run into each other.
    tilt = f' transform="rotate(-30 {x} {HEIGHT - MARGIN_BOTTOM + 16})"' if slots > 6 else ""
    anchor = "end" if slots > 6 else "middle"
    return (
        f'<text class="chart-x-label" x="{x}" y="{HEIGHT - MARGIN_BOTTOM + 16}" text-anchor="{anchor}"{tilt}>'
        f"{escape(label)}</text>"
    )


def _bar(
    kind: str, label: str, x: float, width: float, y_top: float, y_bottom: float, note: str, link: str | None
) -> str:
    height = max(round(y_bottom - y_top, 1), 1.0)
    rect = (
        f'<rect x="{round(x, 1)}" y="{y_top}" width="{round(width, 1)}" height="{height}">'
        f"<title>{escape(label)}: {escape(note)}</title></rect>"
        f'<text class="chart-value" x="{round(x + width / 2, 1)}" y="{round(y_top - 4, 1)}" text-anchor="middle">'
        f"{escape(note)}</text>"
    )
    group = f'<g class="chart-bar {kind}" data-label="{escape(label)}">{rect}</g>'
    return f'<a href="{escape(link)}">{group}</a>' if link else group


def bar_chart(
    labels: Sequence[str],
    values: Sequence[float],
    *,
    title: str,
    links: Sequence[str | None] | None = None,
    locale: str = "en",
    value_format: Formatter | None = None,
) -> Markup:
    """One bar per label; a bar with a link opens it (the deals or calls behind the bar)."""
    if len(labels) != len(values):
        raise ValueError(f"bar chart '{title}': {len(labels)} labels but {len(values)} values")
    fmt = value_format or _compact(locale)
    frame = _Frame(min(values, default=0.0), max(values, default=0.0))
    body = frame.grid(_compact(locale))
    slot = (frame.right - frame.left) / max(len(values), 1)
    zero = frame.y(0.0)
    for index, (label, value) in enumerate(zip(labels, values, strict=True)):
        x = frame.left + index * slot + slot * 0.15
        top, bottom = sorted((frame.y(value), zero))
        link = links[index] if links else None
        body.append(_bar("negative" if value < 0 else "positive", label, x, slot * 0.7, top, bottom, fmt(value), link))
        body.append(_x_label(frame.left + index * slot + slot / 2, label, len(values)))
    return _svg("bar", title, ", ".join(f"{label}: {fmt(v)}" for label, v in zip(labels, values, strict=True)), body)


def line_chart(
    x_labels: Sequence[str],
    series: dict[str, list[float]],
    *,
    title: str,
    locale: str = "en",
    max_x_labels: int = 8,
) -> Markup:
    """One line per series over shared x labels (days, weeks), with a legend; every point names its value."""
    for name, points in series.items():
        if len(points) != len(x_labels):
            raise ValueError(
                f"line chart '{title}': series '{name}' has {len(points)} points for {len(x_labels)} labels"
            )
    every = [v for points in series.values() for v in points]
    frame = _Frame(min(every, default=0.0), max(every, default=0.0))
    exact = _exact(locale)
    body = frame.grid(_compact(locale))
    count = len(x_labels)
    step_x = (frame.right - frame.left) / max(count - 1, 1)

    def x_of(index: int) -> float:
        return round(frame.left + index * step_x, 1) if count > 1 else (frame.left + frame.right) / 2

    label_every = max(1, math.ceil(count / max_x_labels))
    for index, label in enumerate(x_labels):
        if index % label_every == 0 or index == count - 1:
            body.append(_x_label(x_of(index), label, min(count, max_x_labels)))
    for number, (name, points) in enumerate(series.items()):
        colour = f"series-{number % SERIES_COLOURS}"
        coords = " ".join(f"{x_of(i)},{frame.y(v)}" for i, v in enumerate(points))
        body.append(f'<g class="chart-series {colour}" data-series="{escape(name)}">')
        body.append(f'<polyline points="{coords}"/>')
        for index, value in enumerate(points):
            body.append(
                f'<circle cx="{x_of(index)}" cy="{frame.y(value)}" r="2.5">'
                f"<title>{escape(name)}, {escape(x_labels[index])}: {escape(exact(value))}</title></circle>"
            )
        body.append("</g>")
        legend_x = MARGIN_LEFT + number * 130
        body.append(
            f'<g class="chart-legend {colour}"><rect x="{legend_x}" y="{HEIGHT - 16}" width="10" height="10"/>'
            f'<text x="{legend_x + 14}" y="{HEIGHT - 7}">{escape(name)}</text></g>'
        )
    description = "; ".join(
        f"{name}: {exact(points[0])} → {exact(points[-1])}" for name, points in series.items() if points
    )
    return _svg("line", title, description, body)


def waterfall_chart(
    steps: list[tuple[str, float]],
    *,
    title: str,
    start_label: str,
    end_label: str,
    start: float = 0.0,
    links: Sequence[str | None] | None = None,
    locale: str = "en",
) -> Markup:
    """The start total, one floating bar per change (up or down from the running total), and the end total.

    `links`, when given, holds one link per step (the deals behind that bar)."""
    if links is not None and len(links) != len(steps):
        raise ValueError(f"waterfall '{title}': {len(steps)} steps but {len(links)} links")
    fmt = _compact(locale)
    running = [start]
    for _, delta in steps:
        running.append(running[-1] + delta)
    frame = _Frame(min(running), max(running))
    body = frame.grid(fmt)
    columns = len(steps) + 2
    slot = (frame.right - frame.left) / columns
    width = slot * 0.7
    zero = frame.y(0.0)

    def column_x(index: int) -> float:
        return frame.left + index * slot + slot * 0.15

    top, bottom = sorted((frame.y(start), zero))
    body.append(_bar("total", start_label, column_x(0), width, top, bottom, fmt(start), None))
    body.append(_x_label(column_x(0) + width / 2, start_label, columns))
    for index, (label, delta) in enumerate(steps, start=1):
        before, after = running[index - 1], running[index]
        top, bottom = sorted((frame.y(before), frame.y(after)))
        note = ("+" if delta > 0 else "") + fmt(delta)
        link = links[index - 1] if links else None
        body.append(_bar("up" if delta >= 0 else "down", label, column_x(index), width, top, bottom, note, link))
        body.append(_x_label(column_x(index) + width / 2, label, columns))
        # A thin line carries the running total from one bar to the next.
        y = frame.y(before)
        x1, x2 = round(column_x(index - 1) + width, 1), round(column_x(index), 1)
        body.append(f'<line class="chart-connector" x1="{x1}" x2="{x2}" y1="{y}" y2="{y}"/>')
    end = running[-1]
    top, bottom = sorted((frame.y(end), zero))
    body.append(_bar("total", end_label, column_x(columns - 1), width, top, bottom, fmt(end), None))
    body.append(_x_label(column_x(columns - 1) + width / 2, end_label, columns))
    description = f"{start_label}: {fmt(start)}; " + "; ".join(f"{label}: {fmt(d)}" for label, d in steps)
    return _svg("waterfall", title, f"{description}; {end_label}: {fmt(end)}", body)


def sparkline(values: Sequence[float], *, label: str = "") -> Markup:
    """A small line without axes, for a number in a table or a KPI tile; its <title> gives first and last values."""
    width, height, pad = 100, 24, 2
    if not values:
        return Markup("")
    low, high = min(values), max(values)
    spread = (high - low) or 1.0
    step = (width - 2 * pad) / max(len(values) - 1, 1)
    coords = " ".join(
        f"{round(pad + i * step, 1)},{round(height - pad - (v - low) / spread * (height - 2 * pad), 1)}"
        for i, v in enumerate(values)
    )
    summary = f"{label} {values[0]:g} → {values[-1]:g}".strip()
    return Markup(
        f'<svg class="sparkline" xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}"'
        f' width="{width}" height="{height}" role="img"><title>{escape(summary)}</title>'
        f'<polyline points="{coords}"/></svg>'
    )
