"""Declarative base, naming convention and column types shared by every model."""

import unicodedata
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import BigInteger, DateTime, MetaData, String, Text
from sqlalchemy.orm import DeclarativeBase, registry
from sqlalchemy.types import TypeDecorator

# Stable constraint names, so that migrations can drop or alter them on every database.
NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class UTCDateTime(TypeDecorator):
    """A moment in time, stored in UTC; SQLite drops offsets, so they are restored on the way out."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime refused: times are stored with their zone (use utcnow())")
        return value.astimezone(UTC)

    def process_result_value(self, value: datetime | None, dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def nfc(value: Any) -> Any:
    """Normalise text to Unicode NFC: Vietnamese keyboards often type decomposed characters."""
    return unicodedata.normalize("NFC", value) if isinstance(value, str) else value


class NFCString(TypeDecorator):
    """Short text, normalised to NFC before it is stored."""

    impl = String
    cache_ok = True

    def process_bind_param(self, value, dialect):
        return nfc(value)


class NFCText(TypeDecorator):
    """Long text, normalised to NFC before it is stored."""

    impl = Text
    cache_ok = True

    def process_bind_param(self, value, dialect):
        return nfc(value)


Money = BigInteger  # integer VND: the đồng has no subunit in use, and floats lose money


def utcnow() -> datetime:
    """Return the current time in UTC, zone-aware."""
    return datetime.now(UTC)


class Base(DeclarativeBase):
    """Base of every model of the lab system."""

    registry = registry(
        metadata=MetaData(naming_convention=NAMING_CONVENTION),
        type_annotation_map={datetime: UTCDateTime(), str: NFCString()},
    )

    # Columns whose values the audit trail must not copy (password hashes, file bytes).
    __audit_redact__: frozenset[str] = frozenset()
    # Models that are not domain records (the audit trail itself, throttling counters) set this False.
    __audited__: bool = True

    def __repr__(self) -> str:
        ident = getattr(self, "id", None)
        return f"<{type(self).__name__} {ident}>"
