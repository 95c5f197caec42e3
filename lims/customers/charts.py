"""Server-side SVG charts (the Content-Security-Policy allows no inline script or style)."""

from datetime import date

from flask_babel import gettext as _
from markupsafe import Markup, escape


def due_by_month_svg(months: list[tuple[date, int]], width: int = 720, height: int = 220) -> Markup:
    """Return a bar chart of the instruments due in each month ahead, as an inline SVG element."""
    if not months:
        return Markup("")
    top, bottom, left = 18, 28, 8
    plot_height = height - top - bottom
    slot = (width - 2 * left) / len(months)
    peak = max(count for _month, count in months) or 1
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" width="100%" '
        f'role="img" aria-label="{escape(_("Số phương tiện đo đến hạn theo tháng"))}" data-testid="due-chart">'
    ]
    for index, (month, count) in enumerate(months):
        bar_height = plot_height * count / peak
        x = left + index * slot + slot * 0.15
        y = top + plot_height - bar_height
        label = f"{month:%m/%Y}: {count}"
        parts.append(
            f'<rect x="{x:.1f}" y="{y:.1f}" width="{slot * 0.7:.1f}" height="{bar_height:.1f}" fill="#0d6efd">'
            f"<title>{escape(label)}</title></rect>"
        )
        parts.append(
            f'<text x="{x + slot * 0.35:.1f}" y="{y - 4:.1f}" font-size="11" text-anchor="middle" '
            f'fill="#212529">{count}</text>'
        )
        parts.append(
            f'<text x="{x + slot * 0.35:.1f}" y="{height - 10}" font-size="11" text-anchor="middle" '
            f'fill="#6c757d">{month:%m/%y}</text>'
        )
    parts.append("</svg>")
    return Markup("".join(parts))
