"""Requirement catalogues: ISO/IEC 17025:2017 seeded, national criteria sets imported from CSV.

An import checks every row first and writes only when all rows are good, so a bad file leaves nothing half-imported;
a revised set with the same code updates the catalogue in place and keeps the evidence linked to unchanged codes.
"""

import csv
import io
import re
from dataclasses import dataclass, field
from importlib import resources

from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.orm import Session

from lims.auth.permissions import Capability, require
from lims.core.errors import RuleViolation
from lims.core.model import nfc
from lims.quality.models import CATALOGUE_KINDS, Requirement, RequirementCatalogue

ISO_CODE = "ISO/IEC 17025:2017"
CODE_PATTERN = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,39}$")
CLAUSE_PATTERN = re.compile(r"^[4-8](\.\d{1,2}){0,3}$")
MAX_ROWS = 5000


@dataclass(frozen=True)
class RowProblem:
    """A bad row of an imported file: its line number, the column, what is wrong."""

    line: int
    column: str
    message: str


class CatalogueImportError(RuleViolation):
    """The file has bad rows; nothing was imported."""

    def __init__(self, problems: list[RowProblem]):
        lines = "; ".join(f"dòng/line {p.line} [{p.column}]: {p.message}" for p in problems[:20])
        more = f" (+{len(problems) - 20})" if len(problems) > 20 else ""
        super().__init__(
            _(
                "Tệp có %(count)s lỗi, không nhập gì: %(lines)s: %(more)s",
                count=len(problems),
                lines=lines,
                more=more,
            ),
            field="file",
        )
        self.problems = problems


@dataclass
class ImportReport:
    """What an import did."""

    catalogue: RequirementCatalogue
    added: int = 0
    updated: int = 0
    removed: int = 0
    codes: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class _Row:
    line: int
    code: str
    title_vi: str
    title_en: str
    parent: str
    field: str
    clause: str


def _decode(data: bytes | str) -> str:
    if isinstance(data, str):
        return data
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise CatalogueImportError([RowProblem(1, "file", _("không phải UTF-8"))]) from None


def parse_rows(data: bytes | str) -> list[_Row]:
    """Read and check every row of a criteria CSV (code, title, parent, field; optional title_en, clause)."""
    text = nfc(_decode(data))
    sample = text[:4096]
    delimiter = ";" if sample.count(";") > sample.count(",") else ","
    reader = csv.DictReader(io.StringIO(text), delimiter=delimiter)
    headers = {name.strip().lower(): name for name in (reader.fieldnames or []) if name}
    title_header = headers.get("title") or headers.get("title_vi")
    if "code" not in headers or title_header is None:
        raise CatalogueImportError([RowProblem(1, "header", _("cần cột 'code' và 'title'"))])

    def cell(record: dict, name: str | None) -> str:
        return (record.get(name) or "").strip() if name else ""

    problems: list[RowProblem] = []
    rows: list[_Row] = []
    seen: dict[str, int] = {}
    for line, record in enumerate(reader, start=2):
        if len(rows) >= MAX_ROWS:
            problems.append(RowProblem(line, "file", _("quá %(MAX_ROWS)s dòng", MAX_ROWS=MAX_ROWS)))
            break
        if None in record:  # more cells than headers
            problems.append(RowProblem(line, "row", _("thừa cột")))
        row = _Row(
            line,
            cell(record, headers["code"]),
            cell(record, title_header),
            cell(record, headers.get("title_en")),
            cell(record, headers.get("parent")),
            cell(record, headers.get("field")),
            cell(record, headers.get("clause") or headers.get("related_clause")),
        )
        if not any((row.code, row.title_vi, row.parent, row.field)):
            continue  # a blank line
        if not row.code:
            problems.append(RowProblem(line, "code", _("thiếu mã")))
        elif not CODE_PATTERN.match(row.code):
            problems.append(RowProblem(line, "code", _("mã không hợp lệ: %(code)r", code=row.code)))
        elif row.code in seen:
            problems.append(RowProblem(line, "code", _("trùng mã với dòng %(seen)s", seen=seen[row.code])))
        else:
            seen[row.code] = line
        if not row.title_vi:
            problems.append(RowProblem(line, "title", _("thiếu tiêu đề")))
        elif len(row.title_vi) > 400 or len(row.title_en) > 400:
            problems.append(RowProblem(line, "title", _("tiêu đề quá 400 ký tự")))
        if len(row.field) > 100:
            problems.append(RowProblem(line, "field", _("lĩnh vực quá 100 ký tự")))
        if row.parent and row.parent == row.code:
            problems.append(RowProblem(line, "parent", _("mục cha là chính nó")))
        if row.clause and not CLAUSE_PATTERN.match(row.clause):
            problems.append(
                RowProblem(
                    line,
                    "clause",
                    _(
                        "không phải điều 17025: %(clause)r",
                        clause=row.clause,
                    ),
                )
            )
        rows.append(row)
    for row in rows:
        if row.parent and row.parent != row.code and row.parent not in seen:
            problems.append(
                RowProblem(
                    row.line,
                    "parent",
                    _(
                        "không có mục cha: %(parent)r",
                        parent=row.parent,
                    ),
                )
            )
    problems += _cycles(rows, seen)
    if not rows and not problems:
        problems.append(RowProblem(1, "file", _("tệp không có dòng nào")))
    if problems:
        raise CatalogueImportError(sorted(problems, key=lambda p: p.line))
    return rows


def _cycles(rows: list[_Row], seen: dict[str, int]) -> list[RowProblem]:
    parent_of = {row.code: row.parent for row in rows if row.code}
    problems = []
    for row in rows:
        code, steps = row.parent, 0
        while code and code in parent_of and steps <= len(parent_of):
            if code == row.code:
                problems.append(RowProblem(row.line, "parent", _("vòng lặp mục cha")))
                break
            code, steps = parent_of[code], steps + 1
    return problems


def import_catalogue(
    session: Session,
    actor,
    *,
    code: str,
    name: str,
    data: bytes | str,
    kind: str = "national",
    version: str | None = None,
    user_id: int | None = None,
) -> ImportReport:
    """Import (or revise) a requirement catalogue from CSV; all rows are checked before anything is written."""
    require(actor, Capability.MANAGE_QUALITY)
    code, name = nfc(code.strip()), nfc(name.strip())
    if kind not in CATALOGUE_KINDS:
        raise RuleViolation(_("Loại bộ tiêu chí không hợp lệ"), field="kind")
    if not code or not name:
        raise RuleViolation(_("Cần mã và tên bộ tiêu chí"), field="code")
    rows = parse_rows(data)
    catalogue = session.scalar(select(RequirementCatalogue).where(RequirementCatalogue.code == code))
    if catalogue is None:
        catalogue = RequirementCatalogue(code=code, name=name, kind=kind, version=version, imported_by_id=user_id)
        session.add(catalogue)
        session.flush()
    else:
        catalogue.name, catalogue.version, catalogue.imported_by_id = name, version, user_id
    report = ImportReport(catalogue)
    existing = {r.code: r for r in catalogue.requirements}
    by_code: dict[str, Requirement] = {}
    for position, row in enumerate(rows):
        requirement = existing.get(row.code)
        if requirement is None:
            requirement = Requirement(catalogue=catalogue, code=row.code)
            session.add(requirement)
            report.added += 1
        else:
            report.updated += 1
        requirement.title_vi = row.title_vi
        requirement.title_en = row.title_en
        requirement.field = row.field or None
        requirement.related_clause = row.clause or (row.code if kind == "iso17025" else None)
        requirement.position = position
        by_code[row.code] = requirement
        report.codes.append(row.code)
    for row in rows:
        by_code[row.code].parent = by_code[row.parent] if row.parent else None
    for old_code, requirement in existing.items():
        if old_code not in by_code:
            # Children first would matter only for kept rows; a removed row's children were re-parented above.
            catalogue.requirements.remove(requirement)
            report.removed += 1
    session.flush()
    return report


def seed_iso17025(session: Session, actor) -> RequirementCatalogue:
    """Load the ISO/IEC 17025:2017 clauses (4 to 8) once; running it again changes nothing."""
    require(actor, Capability.MANAGE_QUALITY)
    catalogue = session.scalar(select(RequirementCatalogue).where(RequirementCatalogue.code == ISO_CODE))
    if catalogue is not None:
        return catalogue
    data = resources.files("lims.quality").joinpath("data/iso17025_2017.csv").read_bytes()
    return import_catalogue(
        session, actor, code=ISO_CODE, name="TCVN ISO/IEC 17025:2017", data=data, kind="iso17025", version="2017"
    ).catalogue


def sample_national_csv() -> bytes:
    """Return the sample national criteria set shipped to show the import (written for the lab, not a copy)."""
    return resources.files("lims.quality").joinpath("data/sample_national_criteria.csv").read_bytes()
