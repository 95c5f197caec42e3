"""Server-side SVG bar charts (presentation attributes only: the Content-Security-Policy forbids style=)."""

from dataclasses import dataclass
from html import escape

from markupsafe import Markup

PALETTE = ("#9aa5b1", "#0d6efd", "#f0ad4e", "#198754")


@dataclass(frozen=True)
class Group:
    """A group of bars: a label under it and one value per series (None: not known)."""

    label: str
    values: tuple[float | None, ...]


def _fmt(value: float) -> str:
    return f"{value:,.0f}".replace(",", ".") if abs(value) >= 100 else f"{value:g}"


def grouped_bars(
    groups: list[Group], series: tuple[str, ...], *, title: str, width: int = 720, height: int = 280, testid: str = ""
) -> Markup:
    """Return an accessible SVG of grouped bars, one colour per series, with the values written on the bars."""
    left, right, top, bottom = 48, 12, 36, 64
    plot_w, plot_h = width - left - right, height - top - bottom
    peak = max((v for g in groups for v in g.values if v is not None), default=0) or 1
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" role="img" '
        f'class="plan-chart w-100" aria-label="{escape(title)}"'
        + (f' data-testid="{escape(testid)}"' if testid else "")
        + ">",
        f"<title>{escape(title)}</title>",
        f'<line x1="{left}" y1="{top + plot_h}" x2="{left + plot_w}" y2="{top + plot_h}" stroke="#6c757d"/>',
    ]
    for n, name in enumerate(series):
        x = left + n * 170
        parts.append(f'<rect x="{x}" y="8" width="12" height="12" fill="{PALETTE[n % len(PALETTE)]}"/>')
        parts.append(f'<text x="{x + 16}" y="18" font-size="12" fill="#212529">{escape(name)}</text>')
    if groups:
        slot = plot_w / len(groups)
        bar_w = max(4.0, min(40.0, slot * 0.8 / max(1, len(series))))
        for g_index, group in enumerate(groups):
            start = left + g_index * slot + (slot - bar_w * len(series)) / 2
            for s_index, value in enumerate(group.values):
                x = start + s_index * bar_w
                if value is None:
                    parts.append(
                        f'<text x="{x + bar_w / 2:.1f}" y="{top + plot_h - 4}" font-size="10" text-anchor="middle" '
                        f'fill="#6c757d">?</text>'
                    )
                    continue
                h = plot_h * max(value, 0) / peak
                y = top + plot_h - h
                parts.append(
                    f'<rect x="{x:.1f}" y="{y:.1f}" width="{bar_w - 2:.1f}" height="{h:.1f}" '
                    f'fill="{PALETTE[s_index % len(PALETTE)]}"><title>{escape(group.label)} – '
                    f"{escape(series[s_index])}: {_fmt(value)}</title></rect>"
                )
                parts.append(
                    f'<text x="{x + bar_w / 2 - 1:.1f}" y="{y - 3:.1f}" font-size="10" text-anchor="middle" '
                    f'fill="#212529">{_fmt(value)}</text>'
                )
            label_x = left + g_index * slot + slot / 2
            parts.append(
                f'<text x="{label_x:.1f}" y="{top + plot_h + 16}" font-size="11" text-anchor="middle" '
                f'fill="#212529">{escape(group.label[:28])}</text>'
            )
    parts.append("</svg>")
    return Markup("".join(parts))
