"""Which stored files the database names, and whether the store holds each of them intact.

A column whose name ends in ``_sha256`` names a file of the content-addressed store (lims.core.files); that is the
project's convention, so a new kind of stored file is checked and backed up without being listed here.
"""

import hashlib
from collections import defaultdict
from dataclasses import dataclass, field

from sqlalchemy import select
from sqlalchemy.orm import Session

from lims.core.files import FileMissing
from lims.extensions import db


def file_columns() -> list[tuple[str, str]]:
    """Return (table, column) of every column naming a stored file."""
    return [
        (table.name, column.name)
        for table in db.metadata.sorted_tables
        for column in table.columns
        if column.name.endswith("_sha256")
    ]


def file_references(session: Session) -> dict[str, list[str]]:
    """Return every stored file the database names, with where it is named ("certificate.pdf_sha256")."""
    references: dict[str, list[str]] = defaultdict(list)
    for table_name, column_name in file_columns():
        column = db.metadata.tables[table_name].c[column_name]
        for (digest,) in session.execute(select(column).where(column.is_not(None)).distinct()):
            references[digest].append(f"{table_name}.{column_name}")
    return dict(references)


@dataclass
class FileCheck:
    checked: int = 0
    missing: list[tuple[str, list[str]]] = field(default_factory=list)
    corrupted: list[tuple[str, list[str]]] = field(default_factory=list)
    orphans: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.missing and not self.corrupted


def verify_files(session: Session, store) -> FileCheck:
    """Check that every file the database names is in ``store`` with its hash; list stored files nobody names."""
    result = FileCheck()
    references = file_references(session)
    for digest, where in sorted(references.items()):
        result.checked += 1
        try:
            data = store.read(digest)
        except FileMissing:
            result.missing.append((digest, where))
            continue
        if hashlib.sha256(data).hexdigest() != digest:
            result.corrupted.append((digest, where))
    result.orphans = sorted(set(store.digests()) - set(references))
    return result
