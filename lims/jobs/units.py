"""A record that measured several instruments together (a bench of meters, a manifold of gauges).

The science computes each unit alone (:mod:`instruments.procedures.units_under_test`); here a bench record, saved on
the job of its first instrument, is tied to the job of every instrument on it, so each job has its own result and
decision and, in the lab, its own certificate or failure notice and sticker, while the readings stay in the one
record they were taken in. The bench page and its CSV import (the Group 2 issue) call these.
"""

from typing import Any

from flask_babel import gettext as _
from sqlalchemy.orm import Session

from lims.auth.models import User
from lims.auth.permissions import Capability, require
from lims.core.errors import RuleViolation
from lims.jobs.models import Job, MeasurementRecord, RecordUnit

UNITS = "units"


def assign_units(session: Session, actor: User, record: MeasurementRecord, job_ids: list[int]) -> list[RecordUnit]:
    """Tie each unit of a bench record to its instrument's job, in the order of the record's units.

    The first unit is the record's own job; every job is in progress with the same procedure version; each unit's
    decision is the one computed with the record.
    """
    require(actor, Capability.MEASURE)
    units = (record.result.get("values") or {}).get(UNITS)
    if not isinstance(units, list):
        raise RuleViolation(_("Biên bản này đo một phương tiện, không phải một bàn đo."), field=UNITS)
    if record.units:
        raise RuleViolation(_("Các phương tiện của biên bản này đã được gắn với công việc."), field=UNITS)
    if len(job_ids) != len(units):
        raise RuleViolation(
            _("Cần một công việc cho mỗi phương tiện trên bàn đo (%(count)s).", count=len(units)), field=UNITS
        )
    if job_ids[0] != record.job_id:
        raise RuleViolation(_("Phương tiện thứ nhất là của công việc đã ghi biên bản."), field=f"{UNITS}[0]")
    seen: set[int] = set()
    for position, job_id in enumerate(job_ids):
        where = f"{UNITS}[{position}]"
        job = session.get(Job, job_id)
        if job is None or job_id in seen:
            raise RuleViolation(_("Công việc không có hoặc đã có trên bàn đo."), field=where)
        seen.add(job_id)
        if job.status != "in_progress":
            raise RuleViolation(_("Công việc %(number)s chưa bắt đầu đo.", number=job.number), field=where)
        if job.procedure_key != record.job.procedure_key or job.procedure_version_id != record.procedure_version_id:
            raise RuleViolation(
                _("Công việc %(number)s không theo cùng phiên bản quy trình với biên bản.", number=job.number),
                field=where,
            )
        record.units.append(RecordUnit(position=position, job_id=job.id, passed=units[position].get("passed")))
    session.flush()
    return list(record.units)


def unit_result(record: MeasurementRecord, position: int) -> dict[str, Any]:
    """Return one unit's result as a one-unit record stores it (values, tables, decision), for its certificate."""
    result = record.result
    values = result["values"][UNITS][position]
    prefix = f"{UNITS}[{position}]."
    tables = [
        {**table, "key": table["key"][len(prefix) :]}
        for table in result.get("tables") or []
        if table.get("key", "").startswith(prefix)
    ]
    return {**result, "values": values, "tables": tables, "passed": values.get("passed")}
