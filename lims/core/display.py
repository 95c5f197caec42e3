"""Numbers on pages, previews and exports, written by the one formatter of instruments.formatting in the page's
language: Jinja filters for templates, and the printed form of a result for the JSON preview."""

from typing import Any

from flask import Flask
from flask_babel import get_locale
from flask_babel import lazy_gettext as _l

from instruments.formatting import (
    format_cell,
    format_coverage_factor,
    format_measured,
    format_uncertainty,
    table_cells,
)
from lims.core.words import VIETNAMESE, label, named, sort_vietnamese


def page_locale() -> str:
    """Return "vi" or "en": the language of the page being rendered (decimal comma, or point)."""
    locale = get_locale()
    return "en" if locale is not None and locale.language == "en" else "vi"


def number(value: Any, unit: str | None = None) -> str:
    """Write a number as it was written or measured: ``{{ value | num }}``, ``{{ value | num("kg") }}``."""
    shown = format_cell(value, locale=page_locale())
    return f"{shown} {unit}" if unit and shown else shown


def measured(value: Any, resolution: Any = None, unit: str | None = None, uncertainty: Any = None) -> str:
    """Write a measured value to its resolution or the place of its U: ``{{ v | measured(d, "kg") }}``."""
    return format_measured(value, resolution=resolution, uncertainty=uncertainty, unit=unit, locale=page_locale())


def coverage_factor(k: Any) -> str:
    """Write a coverage factor with at most three significant digits: ``{{ k | k }}``."""
    return format_coverage_factor(k, locale=page_locale())


def uncertainty(u: Any, unit: str | None = None) -> str:
    """Write an uncertainty with two significant digits: ``{{ u | uncertainty }}``."""
    return format_uncertainty(u, unit=unit, locale=page_locale())


def cells(table: dict) -> list[list[str]]:
    """Return a stored results table's cells as the certificate writes them: ``{% for row in table | cells %}``, with
    the words the science writes in Vietnamese ("Đạt", "↑ tăng") or in both languages (the Vietnamese, a slash,
    the English) in the page's language."""
    locale = page_locale()
    return [[page_words(cell, locale) for cell in row] for row in table_cells(table, locale=locale)]


# The words the results tables of instruments/ write in Vietnamese, for English pages.
TABLE_WORDS = {
    "Đạt": _l("Đạt"),
    "Không đạt": _l("Không đạt"),
    "↑ tăng": _l("↑ tăng"),
    "↓ giảm": _l("↓ giảm"),
}


def page_words(text: Any, locale: str) -> Any:
    """Return a table cell in the page's language: a known word translated, one side of a "vi / en" pair."""
    if not isinstance(text, str):
        return text
    if text in TABLE_WORDS:
        return str(TABLE_WORDS[text])
    vi, separator, en = text.partition(" / ")
    if separator and " / " not in en and VIETNAMESE.search(vi) and not VIETNAMESE.search(en):
        return en if locale == "en" else vi
    return text


def _budgets(value: Any, path: str, found: list) -> list:
    # Budgets sit wherever the procedure put them (per weight, per load): every list named "budget".
    if isinstance(value, list):
        for index, item in enumerate(value):
            _budgets(item, f"{path}[{index}]", found)
    elif isinstance(value, dict):
        for key, item in value.items():
            if key == "budget" and isinstance(item, list):
                found.append((path, item, value))
            else:
                _budgets(item, f"{path}.{key}" if path else key, found)
    return found


def printed_result(result: dict, locale: str) -> dict:
    """Return what a preview shows of a result, every number already written: the tables' cells and each
    uncertainty budget (value, u, c, |c|·u, ν; then U and k of its result)."""
    budgets = []
    for path, rows, owner in _budgets(result.get("values") or {}, "", []):
        budgets.append(
            {
                "path": path,
                "rows": [
                    [
                        str(row.get("name", "")),
                        format_cell(row.get("value"), locale=locale),
                        format_uncertainty(row.get("standard_uncertainty"), locale=locale),
                        format_cell(row.get("sensitivity"), locale=locale),
                        format_uncertainty(row.get("contribution"), locale=locale),
                        "∞" if row.get("dof") is None else format_cell(row["dof"], locale=locale),
                    ]
                    for row in rows
                ],
                "expanded_uncertainty": _expanded(owner.get("expanded_uncertainty"), locale),
                "coverage_factor": format_coverage_factor(owner.get("coverage_factor"), locale=locale),
            }
        )
    return {"tables": [table_cells(table, locale=locale) for table in result.get("tables") or []], "budgets": budgets}


def _expanded(value: Any, locale: str) -> str:
    # A weight's U is {"value", "unit"}; a load point's is a number.
    if isinstance(value, dict):
        return format_uncertainty(value.get("value"), unit=value.get("unit"), locale=locale)
    return format_uncertainty(value, locale=locale)


def register_display(app: Flask) -> None:
    """Install the number filters, the one label of a stored code and the Vietnamese order in the app's templates."""
    app.add_template_filter(number, "num")
    app.add_template_filter(measured, "measured")
    app.add_template_filter(coverage_factor, "k")
    app.add_template_filter(uncertainty, "uncertainty")
    app.add_template_filter(cells, "cells")
    app.add_template_filter(label, "label")
    app.add_template_filter(sort_vietnamese, "sort_vi")
    app.add_template_filter(named, "named")
