"""One mechanism for every list of records: its filters, parsed once, feed the page, the CSV/XLSX export and the API.

A list is a ``ListSpec``: a frozen dataclass of filters (each field that is a query argument says so with
``arg()``), a query builder that applies them to the records the actor may read (through ``visible_to``), the key
that orders the list, and the columns of its export. Pages are cut by key, never by OFFSET: a cursor carries the key
of the last row shown, and the next page starts after it with an index range scan however deep one reads.

    filters = parse_filters(INSTRUMENTS.filters, request.args)          # a page: bad values fall back quietly
    filters = parse_filters(INSTRUMENTS.filters, request.args, strict=True)   # the API: refused, naming the field
    page = fetch_page(db.session, INSTRUMENTS, actor, filters, cursor=request.args.get("cursor"))
"""

import base64
import binascii
import dataclasses
import json
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from flask_babel import gettext as _
from sqlalchemy import Select, and_, or_
from sqlalchemy.orm import Session

from lims.core.errors import BadArgument

CURSOR_ARG = "cursor"
LIMIT_ARG = "limit"
MAX_LIMIT = 200


@dataclass(frozen=True)
class Arg:
    """How a filter is read from the query string: its argument name, type, allowed values and range."""

    name: str | None = None  # the query argument; the field's name when None
    kind: type = str  # str | int | bool | date
    choices: tuple[str, ...] = ()
    minimum: int | None = None
    maximum: int | None = None
    description: str = ""


def arg(name: str | None = None, *, default: Any = None, **options) -> Any:
    """Declare a filter field read from the query argument ``name`` (a dataclass ``field`` with its ``Arg``)."""
    return field(default=default, metadata={"list_arg": Arg(name=name, **options)})


def filter_args(filters: type) -> list[tuple[str, str, Arg]]:
    """Return (field name, argument name, Arg) for each filter a filter class reads from the query string."""
    found = []
    for item in dataclasses.fields(filters):
        spec = item.metadata.get("list_arg")
        if spec is not None:
            found.append((item.name, spec.name or item.name, spec))
    return found


def _parse_value(spec: Arg, raw: str) -> Any:
    raw = raw.strip()
    if spec.kind is int:
        if not raw.lstrip("-").isdigit() or len(raw) > 10:
            raise ValueError("not a whole number")
        value = int(raw)
        if spec.minimum is not None and value < spec.minimum:
            raise ValueError(f"at least {spec.minimum}")
        if spec.maximum is not None and value > spec.maximum:
            raise ValueError(f"at most {spec.maximum}")
        return value
    if spec.kind is bool:
        if raw.lower() in ("1", "true", "yes", "on"):
            return True
        if raw.lower() in ("0", "false", "no", "off"):
            return False
        raise ValueError("not true or false")
    if spec.kind is date:
        return date.fromisoformat(raw)
    if spec.choices and raw not in spec.choices:
        raise ValueError(f"one of {', '.join(spec.choices)}")
    if len(raw) > 200:
        raise ValueError("at most 200 characters")
    return raw


def parse_filters(filters: type, args: Mapping[str, str], *, strict: bool = False) -> Any:
    """Return the filter object of a list from query arguments.

    A page keeps what it can: an empty or malformed value leaves the filter at its default (as a person would
    expect of a search form). The API (``strict``) refuses a malformed value with a 400 naming the argument.
    """
    values = {}
    for field_name, name, spec in filter_args(filters):
        raw = args.get(name)
        if raw is None or raw.strip() == "":
            continue
        try:
            values[field_name] = _parse_value(spec, raw)
        except ValueError as exc:
            if strict:
                raise BadArgument(
                    _("Giá trị lọc %(name)s không hợp lệ: %(problem)s", name=name, problem=exc), field=name
                ) from None
    return filters(**values)


@dataclass(frozen=True)
class Key:
    """One part of a list's order: the SQL expression, the same value read from a loaded row, and its type.

    The expression must never be NULL (coalesce a nullable column), and the last key must be unique (the id), so
    that "after this row" names exactly one place in the list.
    """

    column: Any
    value: Callable[[Any], Any]
    kind: type = int  # int | str | date | datetime
    descending: bool = False


@dataclass(frozen=True)
class Column:
    """One column of a list's export: its header and how to read it from a row."""

    header: str
    value: Callable[[Any], Any]


@dataclass(frozen=True)
class ListSpec:
    """A list of records: its filters, scoped query, order by key and export columns (see the module docstring)."""

    name: str
    filters: type
    query: Callable[[Any, Any], Select]  # (actor, filters) -> the rows the actor may read, filtered, unordered
    keys: Callable[[Any], Sequence[Key]]  # (filters) -> the order
    columns: tuple[Column, ...] = ()
    per_page: int = 50

    def ordered(self, actor: Any, filters: Any) -> Select:
        """Return the whole list in its order (for exports, which stream every row)."""
        keys = self.keys(filters)
        return self.query(actor, filters).order_by(*_order(keys))

    def rows(self, session: Session, actor: Any, filters: Any) -> Iterable[Any]:
        return session.scalars(self.ordered(actor, filters)).unique()

    def table(self, session: Session, actor: Any, filters: Any) -> tuple[list[str], Iterable[list]]:
        """Return the export's header and rows (for csv_response and the XLSX sheet)."""
        header = [column.header for column in self.columns]
        rows = ([column.value(item) for column in self.columns] for item in self.rows(session, actor, filters))
        return header, rows


def _order(keys: Sequence[Key]) -> list:
    return [key.column.desc() if key.descending else key.column.asc() for key in keys]


@dataclass
class Page:
    """One page of a list: its rows, and the cursors of this page and of the next one (None at the end)."""

    items: list
    limit: int
    cursor: str | None = None
    next_cursor: str | None = None

    @property
    def has_next(self) -> bool:
        return self.next_cursor is not None


def _encode_value(value: Any) -> Any:
    if isinstance(value, datetime | date):
        return value.isoformat()
    return value


def _decode_value(kind: type, value: Any) -> Any:
    if kind is int:
        if isinstance(value, bool) or not isinstance(value, int):
            raise ValueError("int")
        return value
    if kind is str:
        if not isinstance(value, str):
            raise ValueError("str")
        return value
    if not isinstance(value, str):
        raise ValueError(kind.__name__)
    if kind is datetime:
        moment = datetime.fromisoformat(value)
        if moment.tzinfo is None:
            raise ValueError("datetime without zone")
        return moment
    if kind is date:
        return date.fromisoformat(value)
    raise ValueError(kind.__name__)


def encode_cursor(keys: Sequence[Key], row: Any) -> str:
    """Return the cursor naming the place just after ``row`` in a list ordered by ``keys``."""
    text = json.dumps([_encode_value(key.value(row)) for key in keys], separators=(",", ":"))
    return base64.urlsafe_b64encode(text.encode()).decode().rstrip("=")


def decode_cursor(keys: Sequence[Key], cursor: str) -> list[Any]:
    """Return the key values a cursor carries; BadArgument (400, field ``cursor``) for one not made here."""
    try:
        if len(cursor) > 1000:
            raise ValueError("too long")
        text = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
        values = json.loads(text)
        if not isinstance(values, list) or len(values) != len(keys):
            raise ValueError("shape")
        return [_decode_value(key.kind, value) for key, value in zip(keys, values, strict=True)]
    except (ValueError, binascii.Error, UnicodeDecodeError, RecursionError):
        raise BadArgument(_("Con trỏ trang không hợp lệ."), field=CURSOR_ARG) from None


def after(keys: Sequence[Key], values: Sequence[Any]):
    """The condition keeping the rows after the given key values in the order of ``keys`` (a keyset seek)."""
    alternatives = []
    for index, key in enumerate(keys):
        equal = [keys[i].column == values[i] for i in range(index)]
        beyond = key.column < values[index] if key.descending else key.column > values[index]
        alternatives.append(and_(*equal, beyond))
    return or_(*alternatives)


def parse_limit(args: Mapping[str, str], default: int, *, strict: bool = False) -> int:
    """Return the page size asked for (1..MAX_LIMIT), the list's default when none or (on a page) a bad one."""
    raw = (args.get(LIMIT_ARG) or "").strip()
    if not raw:
        return default
    if raw.isdigit() and 1 <= int(raw) <= MAX_LIMIT:
        return int(raw)
    if strict:
        raise BadArgument(_("Số dòng mỗi trang phải từ 1 đến %(most)d.", most=MAX_LIMIT), field=LIMIT_ARG)
    return default


def fetch_page(
    session: Session,
    spec: ListSpec,
    actor: Any,
    filters: Any,
    *,
    cursor: str | None = None,
    limit: int | None = None,
    strict: bool = False,
) -> Page:
    """Return the page of a list that starts after ``cursor`` (the first page without one).

    A page (not ``strict``) given a cursor it cannot read shows the first page; the API refuses it.
    """
    limit = limit or spec.per_page
    keys = spec.keys(filters)
    query = spec.query(actor, filters)
    if cursor:
        try:
            query = query.where(after(keys, decode_cursor(keys, cursor)))
        except BadArgument:
            if strict:
                raise
            cursor = None
    rows = list(session.scalars(query.order_by(*_order(keys)).limit(limit + 1)).unique())
    items = rows[:limit]
    next_cursor = encode_cursor(keys, items[-1]) if len(rows) > limit else None
    return Page(items=items, limit=limit, cursor=cursor, next_cursor=next_cursor)
