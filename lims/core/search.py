"""Finding records by words typed any way: with or without accents, in any case, composed or decomposed.

A searchable model keeps its words folded in a stored column (`search_text`), written in Python whenever the row is
saved, and a search folds what was typed the same way and matches it with LIKE. Folding in Python gives the same
answer on SQLite and PostgreSQL: NFD does not decompose đ, SQLite has no accent folding at all, and PostgreSQL's
unaccent() is not immutable, so it cannot be indexed.
"""

import unicodedata
from collections.abc import Iterable

from sqlalchemy import ColumnElement, Text, and_, event, false, or_, true
from sqlalchemy.orm import Mapped, mapped_column

# Letters that carry no combining mark in NFD but that people type without it.
_BARE = str.maketrans({"đ": "d", "Đ": "D", "ð": "d", "Ð": "D", "ł": "l", "Ł": "L", "ø": "o", "Ø": "O"})
_LIKE_SPECIALS = str.maketrans({"\\": "\\\\", "%": "\\%", "_": "\\_"})


def fold(text: str | None) -> str:
    """Return text as it is searched: decomposed, without marks, đ as d, case-folded, spaces collapsed.

    >>> fold("Công ty Hưng Thịnh") == fold("cong ty hung thinh") == "cong ty hung thinh"
    True
    >>> fold("ĐỒNG HỒ")
    'dong ho'
    """
    if not text:
        return ""
    decomposed = unicodedata.normalize("NFD", text.translate(_BARE))
    bare = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    return " ".join(bare.casefold().split())


def search_words(typed: str | None) -> list[str]:
    """Return the folded words of a search box (each must be found, in any of the columns searched)."""
    return fold(typed).split()


def matches(typed: str | None, columns: Iterable[ColumnElement]) -> ColumnElement[bool]:
    """Return the condition "every word typed is in one of these folded columns" (true when nothing is typed)."""
    columns = list(columns)
    words = search_words(typed)
    if not words:
        return true()
    if not columns:
        return false()
    return and_(
        *(
            or_(*(column.like(f"%{word.translate(_LIKE_SPECIALS)}%", escape="\\") for column in columns))
            for word in words
        )
    )


class Searchable:
    """A model found by typed words: `__search_fields__` name its columns, folded into `search_text` on save."""

    __search_fields__: tuple[str, ...] = ()

    # Derived from the other columns on every save: the audit trail records those, not their folded copy.
    __audit_skip__ = frozenset({"search_text"})
    search_text: Mapped[str] = mapped_column(Text, default="", server_default="")

    def folded_words(self) -> str:
        """Return the row's searched columns folded into one text."""
        return fold(" ".join(str(value) for name in self.__search_fields__ if (value := getattr(self, name))))


@event.listens_for(Searchable, "before_insert", propagate=True)
@event.listens_for(Searchable, "before_update", propagate=True)
def _write_search_text(mapper, connection, target: Searchable) -> None:
    # Written on every save by the model itself, so no service can forget it; it depends on the row's own columns.
    target.search_text = target.folded_words()
