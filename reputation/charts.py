"""Reputation over time as an SVG line chart, drawn on the server.

The chart is markup, not a script: it works without JavaScript, prints, and passes
the content security policy, which forbids ``style=""`` attributes. Colours come from
classes that ``app.css`` styles, with presentation attributes (``fill``, ``stroke``)
as a fallback for readers that ignore the stylesheet. ``role="img"`` with a
``<title>`` and a ``<desc>`` gives screen readers a sentence; pages pair the chart
with a table of the same figures for anyone who wants the numbers.
"""
from __future__ import annotations

import math
from collections.abc import Sequence
from datetime import date, timedelta

from markupsafe import Markup, escape

WIDTH, HEIGHT = 640, 200
#: Room for the y-axis labels on the left and the dates underneath.
LEFT, RIGHT, TOP, BOTTOM = 48, 16, 14, 28


def _nice_step(span: float, ticks: int = 4) -> int:
    """A round step (1, 2 or 5 times a power of ten) that splits ``span`` into
    about ``ticks`` parts."""
    raw = max(span / ticks, 1)
    power = 10 ** math.floor(math.log10(raw))
    for factor in (1, 2, 5, 10):
        if raw <= factor * power:
            return int(factor * power)
    return int(10 * power)  # pragma: no cover - the loop always returns


def _label_date(day: date, *, with_year: bool) -> str:
    return f"{day:%b} {day.day}" + (f", {day.year}" if with_year else "")


def _fmt(value: float) -> str:
    # Two decimals are finer than any screen; fewer characters, same picture.
    return f"{value:.2f}".rstrip("0").rstrip(".")


def describe(points: Sequence[tuple[date, int]]) -> str:
    """One sentence that says what the chart shows, for ``<desc>`` and for tests."""
    if not points:
        return "No reputation changes yet."
    (first_day, first), (last_day, last) = points[0], points[-1]
    high = max(value for _, value in points)
    text = (f"Reputation went from {first:,} on {_label_date(first_day, with_year=True)} "
            f"to {last:,} on {_label_date(last_day, with_year=True)}")
    if high > max(first, last):
        text += f", with a high of {high:,}"
    return text + "."


def reputation_chart(points: Sequence[tuple[date, int]], *, ident: str = "rep-chart",
                     label: str = "Reputation over time") -> Markup:
    """Return an ``<svg>`` of the running total in ``points`` (day, total), oldest first.

    Reputation moves in steps, so the line is drawn as a staircase: flat until the
    day something happened, then straight up or down. ``ident`` prefixes the ids that
    ``aria-labelledby`` points at, so two charts can share a page.
    """
    points = list(points)
    summary = describe(points)
    if not points:
        points = [(date.today(), 1)]
    if len(points) == 1:
        # One day is a dot with no width; start the line the day before.
        points.insert(0, (points[0][0] - timedelta(days=1), points[0][1]))

    first_day, last_day = points[0][0], points[-1][0]
    days = max((last_day - first_day).days, 1)
    values = [value for _, value in points]
    step = _nice_step(max(values) - min(values))
    low = math.floor(min(values) / step) * step
    high = max(math.ceil(max(values) / step) * step, low + step)
    plot_w, plot_h = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM

    def x(day: date) -> float:
        return LEFT + (day - first_day).days / days * plot_w

    def y(value: float) -> float:
        return TOP + (high - value) / (high - low) * plot_h

    path = [f"M{_fmt(x(first_day))} {_fmt(y(values[0]))}"]
    for (day, value), (_, before) in zip(points[1:], points[:-1]):
        path.append(f"H{_fmt(x(day))}")
        if value != before:
            path.append(f"V{_fmt(y(value))}")
    line = "".join(path)
    baseline = _fmt(TOP + plot_h)
    area = f"{line}V{baseline}H{_fmt(LEFT)}Z"

    parts = [
        f'<svg class="rep-chart" xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {WIDTH} {HEIGHT}" '
        f'width="{WIDTH}" height="{HEIGHT}" role="img" focusable="false" '
        f'aria-labelledby="{ident}-title {ident}-desc">',
        f'<title id="{ident}-title">{escape(label)}</title>',
        f'<desc id="{ident}-desc">{escape(summary)}</desc>',
        '<g class="rep-chart-grid" aria-hidden="true">',
    ]
    for tick in range(int(low), int(high) + 1, step):
        ty = _fmt(y(tick))
        parts.append(f'<line x1="{LEFT}" x2="{WIDTH - RIGHT}" y1="{ty}" y2="{ty}" stroke="#e1e5ec"/>')
        parts.append(f'<text class="rep-chart-label" x="{LEFT - 8}" y="{ty}" text-anchor="end" '
                     f'dominant-baseline="middle" fill="#586172" font-size="11">{tick:,}</text>')
    with_year = first_day.year != last_day.year
    ticks = [first_day, last_day] if days < 6 else [first_day, first_day + timedelta(days=days // 2), last_day]
    for n, day in enumerate(ticks):
        anchor = "start" if n == 0 else "end" if n == len(ticks) - 1 else "middle"
        parts.append(f'<text class="rep-chart-label" x="{_fmt(x(day))}" y="{HEIGHT - 8}" '
                     f'text-anchor="{anchor}" fill="#586172" font-size="11">'
                     f'{escape(_label_date(day, with_year=with_year))}</text>')
    parts.append("</g>")
    parts.append(f'<path class="rep-chart-area" d="{area}" fill="#eef2fe" aria-hidden="true"/>')
    parts.append(f'<path class="rep-chart-line" d="{line}" fill="none" stroke="#2f5bea" stroke-width="2" '
                 'stroke-linejoin="round" aria-hidden="true"/>')
    parts.append(f'<circle class="rep-chart-dot" cx="{_fmt(x(last_day))}" cy="{_fmt(y(values[-1]))}" r="4" '
                 'fill="#2f5bea" aria-hidden="true"/>')
    parts.append("</svg>")
    return Markup("".join(parts))
