"""The words of the pages: one label per stored value, the page's choice between a Vietnamese and an English name,
and the Vietnamese alphabetical order of select lists."""

from typing import Any, TypeVar

from flask_babel import get_locale

T = TypeVar("T")


def in_language(vi: Any, en: Any) -> Any:
    """Return the English name on an English page when there is one, the Vietnamese name otherwise."""
    locale = get_locale()
    if locale is not None and locale.language == "en" and en:
        return en
    return vi
