"""Server-drawn SVG charts: small pure functions from numbers to accessible SVG markup.

Each chart is an ``<svg role="img">`` labelled by its ``<title>`` and ``<desc>``; every bar
and point carries its own ``<title>`` (the value a pointer or screen reader finds), and the
page puts the same numbers in a table beside it. Colours are presentation attributes, not
inline styles, so the page CSP (``style-src 'self'``) holds. No JavaScript.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from html import escape

from markupsafe import Markup

# Colour-blind-safe (Okabe-Ito), dark enough on white for 3:1 non-text contrast.
PALETTE = ("#0072B2", "#D55E00", "#009E73", "#CC79A7", "#8a6d00", "#56B4E9")
WIDTH = 640
HEIGHT = 260
LEFT, RIGHT, TOP, BOTTOM = 48, 12, 12, 56


@dataclass(frozen=True, slots=True)
class Series:
    """One named series: a value per category (None: nothing to draw)."""

    name: str
    values: Sequence[float | None]
    key: str = ""  # a stable id (e.g. the network code) for data-series attributes


def _fmt(value: float) -> str:
    return f"{value:g}"


def _scale_max(series: Sequence[Series], floor: float) -> float:
    top = max((v for s in series for v in s.values if v is not None), default=0.0)
    return max(top, floor) or 1.0


def _ticks(top: float, count: int = 4) -> list[float]:
    return [top * i / count for i in range(count + 1)]


def _frame(chart_id: str, title: str, desc: str, body: list[str]) -> Markup:
    head = (
        f'<svg class="chart" id="{chart_id}" role="img" viewBox="0 0 {WIDTH} {HEIGHT}" '
        f'aria-labelledby="{chart_id}-title {chart_id}-desc" xmlns="http://www.w3.org/2000/svg">'
        f'<title id="{chart_id}-title">{escape(title)}</title>'
        f'<desc id="{chart_id}-desc">{escape(desc)}</desc>'
    )
    return Markup(head + "".join(body) + "</svg>")


def _axes(top: float, label: Callable[[float], str]) -> list[str]:
    plot_h = HEIGHT - TOP - BOTTOM
    out = []
    for tick in _ticks(top):
        y = TOP + plot_h - plot_h * tick / top
        out.append(
            f'<line x1="{LEFT}" x2="{WIDTH - RIGHT}" y1="{y:.1f}" y2="{y:.1f}" '
            'stroke="#d0d5dd" stroke-width="1"/>'
            f'<text x="{LEFT - 6}" y="{y + 4:.1f}" text-anchor="end" font-size="11" '
            f'fill="#1f2933">{escape(label(tick))}</text>'
        )
    return out


def _legend(series: Sequence[Series]) -> list[str]:
    out = []
    x = LEFT
    y = HEIGHT - 14
    for i, s in enumerate(series):
        colour = PALETTE[i % len(PALETTE)]
        out.append(
            f'<rect x="{x}" y="{y - 9}" width="10" height="10" fill="{colour}"/>'
            f'<text x="{x + 14}" y="{y}" font-size="11" fill="#1f2933">{escape(s.name)}</text>'
        )
        x += 24 + 7 * len(s.name)
    return out


def bar_chart(
    chart_id: str,
    *,
    title: str,
    desc: str,
    categories: Sequence[str],
    series: Sequence[Series],
    value_label: Callable[[float], str] = _fmt,
    floor: float = 1.0,
) -> Markup:
    """Grouped bars: one group per category, one bar per series in each group."""
    top = _scale_max(series, floor)
    plot_w = WIDTH - LEFT - RIGHT
    plot_h = HEIGHT - TOP - BOTTOM
    group_w = plot_w / max(len(categories), 1)
    bar_w = group_w * 0.8 / max(len(series), 1)
    body = _axes(top, value_label)
    for c, category in enumerate(categories):
        x0 = LEFT + c * group_w + group_w * 0.1
        for i, s in enumerate(series):
            value = s.values[c]
            if value is None:
                continue
            h = plot_h * value / top
            x = x0 + i * bar_w
            body.append(
                f'<rect class="bar" data-series="{escape(s.key or s.name)}" '
                f'data-category="{escape(category)}" data-value="{_fmt(value)}" '
                f'x="{x:.1f}" y="{TOP + plot_h - h:.1f}" width="{max(bar_w - 2, 1):.1f}" '
                f'height="{max(h, 0.5):.1f}" fill="{PALETTE[i % len(PALETTE)]}">'
                f"<title>{escape(s.name)}, {escape(category)}: {escape(value_label(value))}"
                "</title></rect>"
            )
        body.append(
            f'<text x="{LEFT + c * group_w + group_w / 2:.1f}" y="{TOP + plot_h + 16}" '
            f'text-anchor="middle" font-size="11" fill="#1f2933">{escape(category)}</text>'
        )
    body += _legend(series)
    return _frame(chart_id, title, desc, body)


def line_chart(
    chart_id: str,
    *,
    title: str,
    desc: str,
    categories: Sequence[str],
    series: Sequence[Series],
    value_label: Callable[[float], str] = _fmt,
    floor: float = 1.0,
) -> Markup:
    """One line per series across the categories (gaps where a value is None)."""
    top = _scale_max(series, floor)
    plot_w = WIDTH - LEFT - RIGHT
    plot_h = HEIGHT - TOP - BOTTOM
    step = plot_w / max(len(categories), 1)
    body = _axes(top, value_label)
    for c, category in enumerate(categories):
        body.append(
            f'<text x="{LEFT + step * (c + 0.5):.1f}" y="{TOP + plot_h + 16}" '
            f'text-anchor="middle" font-size="11" fill="#1f2933">{escape(category)}</text>'
        )
    for i, s in enumerate(series):
        colour = PALETTE[i % len(PALETTE)]
        points = [
            (LEFT + step * (c + 0.5), TOP + plot_h - plot_h * v / top, categories[c], v)
            for c, v in enumerate(s.values)
            if v is not None
        ]
        if len(points) > 1:
            path = " ".join(f"{x:.1f},{y:.1f}" for x, y, _, _ in points)
            body.append(
                f'<polyline points="{path}" fill="none" stroke="{colour}" stroke-width="2"/>'
            )
        for x, y, category, v in points:
            body.append(
                f'<circle class="point" data-series="{escape(s.key or s.name)}" '
                f'data-category="{escape(category)}" data-value="{_fmt(v)}" cx="{x:.1f}" '
                f'cy="{y:.1f}" r="4" fill="{colour}"><title>{escape(s.name)}, '
                f"{escape(category)}: {escape(value_label(v))}</title></circle>"
            )
    body += _legend(series)
    return _frame(chart_id, title, desc, body)


def percent(value: float) -> str:
    return f"{value * 100:.0f}%"


def hours(value: float) -> str:
    return f"{value:.1f} h"
