"""Control charts drawn on the server as SVG (the CSP forbids inline styles, so only presentation attributes)."""

from dataclasses import dataclass
from datetime import date

from markupsafe import Markup, escape

WIDTH, HEIGHT = 640, 260
LEFT, RIGHT, TOP, BOTTOM = 64, 16, 16, 40


@dataclass(frozen=True)
class ChartPoint:
    """One plotted result: its day, value, optional error bar (± U) and whether it is flagged."""

    day: date
    value: float
    error_bar: float = 0.0
    flagged: bool = False
    label: str = ""


def _ticks(low: float, high: float, count: int = 5) -> list[float]:
    step = (high - low) / (count - 1)
    return [low + step * index for index in range(count)]


def _number(value: float) -> str:
    return f"{value:.4g}"


def control_chart_svg(
    points: list[ChartPoint],
    *,
    lower_limit: float | None,
    upper_limit: float | None,
    unit: str,
    title: str,
    limit_label: str = "",
) -> Markup:
    """Draw results against time with their limits as an SVG element; points outside the limits are red."""
    if not points:
        return Markup("")
    values = [p.value + p.error_bar for p in points] + [p.value - p.error_bar for p in points]
    values += [v for v in (lower_limit, upper_limit) if v is not None]
    low, high = min(values), max(values)
    if high == low:
        low, high = low - 1.0, high + 1.0
    margin = (high - low) * 0.08
    low, high = low - margin, high + margin
    first, last = min(p.day for p in points), max(p.day for p in points)
    span = max((last - first).days, 1)
    plot_w, plot_h = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM

    def x(day: date) -> float:
        if first == last:
            return LEFT + plot_w / 2
        return LEFT + plot_w * (day - first).days / span

    def y(value: float) -> float:
        return TOP + plot_h * (high - value) / (high - low)

    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {WIDTH} {HEIGHT}" width="100%" role="img" '
        f'class="control-chart" data-testid="control-chart"><title>{escape(title)}</title>',
        f'<rect x="{LEFT}" y="{TOP}" width="{plot_w}" height="{plot_h}" fill="#ffffff" stroke="#adb5bd"/>',
    ]
    for tick in _ticks(low, high):
        parts.append(
            f'<line x1="{LEFT}" x2="{LEFT + plot_w}" y1="{y(tick):.1f}" y2="{y(tick):.1f}" stroke="#e9ecef"/>'
            f'<text x="{LEFT - 6}" y="{y(tick) + 4:.1f}" font-size="11" text-anchor="end" fill="#495057">'
            f"{_number(tick)}</text>"
        )
    parts.append(
        f'<text x="14" y="{TOP + plot_h / 2:.1f}" font-size="11" fill="#495057" text-anchor="middle" '
        f'transform="rotate(-90 14 {TOP + plot_h / 2:.1f})">{escape(unit)}</text>'
    )
    for limit in (lower_limit, upper_limit):
        if limit is not None:
            parts.append(
                f'<line x1="{LEFT}" x2="{LEFT + plot_w}" y1="{y(limit):.1f}" y2="{y(limit):.1f}" stroke="#dc3545" '
                f'stroke-dasharray="6 4" stroke-width="1.5" data-limit="{_number(limit)}"/>'
                f'<text x="{LEFT + plot_w - 4}" y="{y(limit) - 4:.1f}" font-size="11" text-anchor="end" '
                f'fill="#dc3545">{escape(limit_label)} {_number(limit)}</text>'
            )
    if lower_limit is not None and upper_limit is not None and lower_limit < 0 < upper_limit:
        parts.append(f'<line x1="{LEFT}" x2="{LEFT + plot_w}" y1="{y(0):.1f}" y2="{y(0):.1f}" stroke="#6c757d"/>')
    ordered = sorted(points, key=lambda p: p.day)
    if len(ordered) > 1:
        path = " ".join(f"{x(p.day):.1f},{y(p.value):.1f}" for p in ordered)
        parts.append(f'<polyline points="{path}" fill="none" stroke="#0d6efd" stroke-width="1.5"/>')
    for point in ordered:
        cx, cy = x(point.day), y(point.value)
        if point.error_bar:
            parts.append(
                f'<line x1="{cx:.1f}" x2="{cx:.1f}" y1="{y(point.value + point.error_bar):.1f}" '
                f'y2="{y(point.value - point.error_bar):.1f}" stroke="#0d6efd"/>'
            )
        colour = "#dc3545" if point.flagged else "#0d6efd"
        tip = f"{point.day:%d/%m/%Y}: {_number(point.value)} {unit} {point.label}".strip()
        parts.append(
            f'<circle cx="{cx:.1f}" cy="{cy:.1f}" r="{5 if point.flagged else 4}" fill="{colour}" '
            f'data-flagged="{str(point.flagged).lower()}"><title>{escape(tip)}</title></circle>'
        )
    for day in sorted({first, last}):
        parts.append(
            f'<text x="{x(day):.1f}" y="{HEIGHT - BOTTOM + 16}" font-size="11" text-anchor="middle" '
            f'fill="#495057">{day:%d/%m/%Y}</text>'
        )
    parts.append("</svg>")
    return Markup("".join(parts))
