"""The words of the pages: one label per stored code, the page's choice between a Vietnamese and an English name,
and the Vietnamese alphabetical order of select lists."""

import re
import sqlite3
import unicodedata
from collections.abc import Callable, Iterable
from enum import StrEnum
from typing import Any, TypeVar

from flask_babel import get_locale
from sqlalchemy import Enum, event
from sqlalchemy.engine import Engine
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.elements import ColumnElement
from sqlalchemy.sql.visitors import InternalTraversal

T = TypeVar("T")
# A letter only Vietnamese writes (a vowel with a tone or a hat, đ): text that has one is Vietnamese.
VIETNAMESE = re.compile(
    "[àáảãạăắằẳẵặâấầẩẫậđèéẻẽẹêếềểễệìíỉĩịòóỏõọôốồổỗộơớờởỡợùúủũụưứừửữựỳýỷỹỵ"
    "ÀÁẢÃẠĂẮẰẲẴẶÂẤẦẨẪẬĐÈÉẺẼẸÊẾỀỂỄỆÌÍỈĨỊÒÓỎÕỌÔỐỒỔỖỘƠỚỜỞỠỢÙÚỦŨỤƯỨỪỬỮỰỲÝỶỸỴ]"
)


def in_language(vi: Any, en: Any) -> Any:
    """Return the English name on an English page when there is one, the Vietnamese name otherwise."""
    locale = get_locale()
    if locale is not None and locale.language == "en" and en:
        return en
    return vi


def named(thing: Any, attribute: str = "name") -> Any:
    """Return a record's name in the page's language: ``{{ item.instrument_type | named }}`` reads ``name_vi`` and
    ``name_en``; ``{{ procedure | named("title") }}`` reads ``title_vi`` and ``title_en``."""
    if thing is None:
        return ""
    read = thing.get if isinstance(thing, dict) else lambda key, default=None: getattr(thing, key, default)
    return in_language(read(f"{attribute}_vi"), read(f"{attribute}_en", None))


class Labelled(StrEnum):
    """A stored code (a status, a kind) with its one translated label: ``RECEIVED = "received", _l("Đã tiếp nhận")``.

    Members are the strings stored, so they compare, hash and serialise as those strings."""

    def __new__(cls, value: str, label: Any = None):
        member = str.__new__(cls, value)
        member._value_ = value
        member._label = label if label is not None else value
        return member

    @property
    def label(self) -> Any:
        """Return the label in the page's language (a lazy string)."""
        return self._label

    @classmethod
    def choices(cls, members: Iterable["Labelled"] | None = None) -> list[tuple[str, Any]]:
        """Return ``(value, label)`` pairs for a select field, in the declared order."""
        return [(member.value, member.label) for member in (cls if members is None else members)]

    @classmethod
    def values(cls) -> tuple[str, ...]:
        """Return the stored values, in the declared order."""
        return tuple(member.value for member in cls)


def stored_as(codes: type[Labelled], name: str, length: int = 20) -> Enum:
    """Return the column type storing ``codes`` as text, with a CHECK constraint named ``name`` that keeps out every
    other value; loaded values come back as members of ``codes``."""
    return Enum(
        codes,
        name=name,
        native_enum=False,
        create_constraint=True,
        length=length,
        values_callable=lambda enum: [member.value for member in enum],
        validate_strings=False,  # an unknown code in a query finds nothing; on write the CHECK refuses it
    )


def _all_labelled(cls: type = Labelled) -> Iterable[type[Labelled]]:
    for sub in cls.__subclasses__():
        yield sub
        yield from _all_labelled(sub)


def label(value: Any, codes: type[Labelled] | str | None = None) -> Any:
    """Return the one label of a stored code: ``{{ job.status | label }}``, ``{{ s.state | label("StickerState") }}``.
    A plain string is looked up in ``codes`` (a class or its name), or in every labelled set when the value means the
    same in all of them; anything else is returned as it is."""
    if isinstance(value, Labelled):
        return value.label
    if value is None or value == "":
        return ""
    if isinstance(value, bool):
        return label_of_bool(value)
    if isinstance(codes, str):
        codes = next((cls for cls in _all_labelled() if cls.__name__ == codes), None)
    if codes is not None:
        try:
            return codes(value).label
        except ValueError:
            return value
    found = {str(member.label): member.label for cls in _all_labelled() for member in cls if member.value == value}
    return next(iter(found.values())) if len(found) == 1 else value


def label_of_bool(value: bool) -> Any:
    """Return "Có" or "Không" in the page's language."""
    from flask_babel import gettext as _

    return _("Có") if value else _("Không")


# Vietnamese alphabetical order: a ă â b c d đ e ê g h i k l m n o ô ơ p q r s t u ư v x y; the tone marks
# (huyền, hỏi, ngã, sắc, nặng) only break ties between words that are otherwise the same.
_ALPHABET = "aăâbcdđeêfghijklmnoôơpqrstuưvwxyz"
_RANK = {letter: index for index, letter in enumerate(_ALPHABET)}
_TONES = {"\u0300": 1, "\u0309": 2, "\u0303": 3, "\u0301": 4, "\u0323": 5}  # huyền hỏi ngã sắc nặng
_LETTER_MARKS = {
    ("a", "\u0306"): "ă",
    ("a", "\u0302"): "â",
    ("e", "\u0302"): "ê",
    ("o", "\u0302"): "ô",
    ("o", "\u031b"): "ơ",
    ("u", "\u031b"): "ư",
}


def vietnamese_key(text: Any) -> tuple:
    """Return a sort key ordering text as a Vietnamese dictionary does: letters first (ă after a, đ after d, ơ
    after ô...), tones second, case last. PostgreSQL's ``vi-x-icu`` collation gives the same order in the database."""
    letters: list[int] = []
    tones: list[int] = []
    cases: list[int] = []
    for char in unicodedata.normalize("NFD", str(text or "")):
        if unicodedata.combining(char):
            if char in _TONES and tones:
                tones[-1] = _TONES[char]
            elif letters and (base := _ALPHABET[letters[-1]] if 0 <= letters[-1] < len(_ALPHABET) else None):
                marked = _LETTER_MARKS.get((base, char))
                if marked:
                    letters[-1] = _RANK[marked]
            continue
        lower = char.lower()
        cases.append(0 if char == lower else 1)
        tones.append(0)
        if lower == "đ":
            letters.append(_RANK["đ"])
        elif lower in _RANK:
            letters.append(_RANK[lower])
        else:
            # Digits, spaces and signs before letters, in code point order.
            letters.append(ord(lower) - 0x110000)
    return (letters, tones, cases)


def sorted_vietnamese(items: Iterable[T], key: Callable[[T], Any] = lambda item: item) -> list[T]:
    """Return items sorted by :func:`vietnamese_key` of ``key(item)``."""
    return sorted(items, key=lambda item: vietnamese_key(key(item)))


def sort_vietnamese(items: Iterable[Any], attribute: str | None = None) -> list[Any]:
    """Sort in Vietnamese order in a template: ``{{ types | sort_vi("name_vi") }}``; pairs sort by their label."""

    def text(item: Any) -> Any:
        if attribute is None:
            return item[1] if isinstance(item, tuple) and len(item) == 2 else item
        return item[attribute] if isinstance(item, dict) else getattr(item, attribute)

    return sorted(items, key=lambda item: vietnamese_key(text(item)))


class vietnamese(ColumnElement):  # noqa: N801  (used like a function: order_by(vietnamese(Organisation.name)))
    """Order by a text column in Vietnamese order: PostgreSQL's ICU collation ``vi-x-icu``, on SQLite the collation
    ``vi`` this module installs on every connection (the same :func:`vietnamese_key`)."""

    inherit_cache = True
    _traverse_internals = [("column", InternalTraversal.dp_clauseelement)]

    def __init__(self, column):
        self.column = column
        self.type = column.type


@compiles(vietnamese)
def _vietnamese_elsewhere(element, compiler, **kw):
    column = compiler.process(element.column, **kw)
    return f"{column} COLLATE vi" if compiler.dialect.name == "sqlite" else column


@compiles(vietnamese, "postgresql")
def _vietnamese_on_postgresql(element, compiler, **kw):
    return f'{compiler.process(element.column, **kw)} COLLATE "vi-x-icu"'


def _compare_vietnamese(left: str, right: str) -> int:
    left_key, right_key = vietnamese_key(left), vietnamese_key(right)
    return (left_key > right_key) - (left_key < right_key)


@event.listens_for(Engine, "connect")
def _install_vietnamese_collation(dbapi_connection, _record) -> None:
    if isinstance(dbapi_connection, sqlite3.Connection):
        dbapi_connection.create_collation("vi", _compare_vietnamese)
