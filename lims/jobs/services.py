"""Requests and contract review, authorisations, the job's life cycle and measurement records: rules, never a commit.

Every transition goes through :func:`_move`, which checks the transition table and records the reason in the audit
trail. Issuing calls :func:`mark_certified` and :func:`mark_returned`.
"""

import json
import logging
import math
import uuid
from dataclasses import dataclass
from datetime import date
from typing import Any

from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.orm import Session, object_session

from instruments.errors import InputError
from instruments.procedures import MethodReference, Procedure, Stage
from lims.audit.trail import audit_reason
from lims.auth.models import User
from lims.auth.permissions import Capability, may, may_see_organisation, require
from lims.core.dates import lab_today
from lims.core.errors import PermissionDenied, RuleViolation
from lims.core.model import utcnow
from lims.core.words import in_language
from lims.customers.models import Instrument, InstrumentType, Method, Organisation
from lims.customers.services import allowed_methods
from lims.jobs import reference
from lims.jobs.models import (
    SERVICES,
    Authorisation,
    Job,
    JobStandard,
    JobStatus,
    MeasurementRecord,
    ServiceRequest,
    ServiceRequestItem,
    VerifierCard,
)
from lims.procedures.services import available_procedures, resolve_procedure, version_for_new_job
from lims.standards.models import Standard, StandardCalibration
from lims.standards.services import ensure_usable_on

log = logging.getLogger(__name__)

VERIFICATION_SERVICES = ("initial_verification", "periodic_verification", "after_repair_verification")
PLACES = ("lab", "on_site")
DECISION_RULES = ("simple", "guarded")  # the codes instruments.decision.rule_from_input reads
STAGES = ("as_found", "as_left")
# Which state may follow which; on hold and cancel are handled apart (they apply to any open state).
TRANSITIONS = {
    "received": {"scheduled"},
    "scheduled": {"in_progress", "scheduled"},
    "in_progress": {"measured"},
    "measured": {"reviewed", "in_progress"},
    # A reviewed job goes back to measuring when a second look finds the record wanting (see flag_for_second_look).
    "reviewed": {"certified", "in_progress"},
    "certified": {"returned"},
    "returned": set(),
}
OPEN_STATES = ("received", "scheduled", "in_progress", "measured", "reviewed")


def _new_number(prefix: str) -> str:
    # Unique until the row has an id; then the number is derived from the id, which the database hands out.
    return f"{prefix}-tmp-{uuid.uuid4().hex[:12]}"


def _require_text(value: str | None, field: str, what: str) -> str:
    text = (value or "").strip()
    if not text:
        raise RuleViolation(_("Cần ghi %(what)s", what=what), field=field)
    return text


# --- requests and contract review ---------------------------------------------------------------------------


@dataclass(frozen=True)
class RequestItem:
    """One line of a request as typed: an instrument, the service, the procedure (and optionally the method)."""

    instrument_id: int
    service: str
    procedure_key: str
    method_code: str | None = None  # a code among the methods the catalogue allows for the type and procedure
    method_id: int | None = None


def applicable_procedures(instrument_type: InstrumentType) -> list[type[Procedure]]:
    """Return the registered procedures the catalogue says serve this instrument type (none: none available yet).

    The catalogue is authoritative (a manager edits a type's procedures); a key it names that no module implements
    is left out, so a type cannot be requested for a procedure that does not exist.
    """
    keys = [key.strip() for key in (instrument_type.procedure_keys or "").replace(" ", ",").split(",")]
    available = available_procedures(object_session(instrument_type))
    return [available[key] for key in dict.fromkeys(keys) if key in available]


def procedure_applies(instrument_type: InstrumentType, procedure_key: str) -> bool:
    """Say whether the catalogue lets this procedure serve this instrument type."""
    return any(cls.key == procedure_key for cls in applicable_procedures(instrument_type))


def usual_service(instrument: Instrument) -> str:
    """Return the service an instrument brought to the counter most likely needs (the receiver may change it)."""
    if not instrument.instrument_type.requires_verification:
        return "calibration"
    return "periodic_verification" if instrument.last_service_on else "initial_verification"


def usual_procedure(instrument: Instrument, service: str) -> str | None:
    """Return the procedure for a service when the catalogue offers exactly one of its kind for the type."""
    kind = "verification" if service in VERIFICATION_SERVICES else "calibration"
    offered = [cls.key for cls in applicable_procedures(instrument.instrument_type) if cls.kind == kind]
    return offered[0] if len(offered) == 1 else None


def choose_method(
    instrument_type: InstrumentType,
    procedure_key: str,
    *,
    method_id: int | None = None,
    method_code: str | None = None,
    field: str,
    row: int,
    required: bool = False,
) -> Method | None:
    """Return the ĐLVN method for a line: the one named, if the type allows it for the procedure, else the only one.

    Several allowed and none named: None, or a refusal when ``required`` (contract review must pick one). A type
    with no method in the catalogue gets none (a calibration to the customer's specification, say).
    """
    allowed = allowed_methods(instrument_type, procedure_key)
    if method_id or (method_code or "").strip():
        chosen = next(
            (m for m in allowed if m.id == method_id or (method_code and m.code == method_code.strip())), None
        )
        if chosen is None:
            codes = ", ".join(method.code for method in allowed) or "—"
            raise RuleViolation(
                _(
                    "Dòng %(row)s: phương pháp không được phép cho loại phương tiện đo và quy trình này (được "
                    "phép: %(codes)s)",
                    row=row,
                    codes=codes,
                ),
                field=field,
            )
        return chosen
    if len(allowed) == 1:
        return allowed[0]
    if allowed and required:
        raise RuleViolation(
            _(
                "Dòng %(row)s: cần chọn phương pháp (%(items)s)",
                row=row,
                items=", ".join(method.code for method in allowed),
            ),
            field=field,
        )
    return None


def _method_fields(method: Method | None) -> dict:
    # The code and title are copied as chosen, so a record and its certificate keep them if the catalogue changes.
    if method is None:
        return {"method_id": None, "method_code": None, "method_name": None}
    return {"method_id": method.id, "method_code": method.code, "method_name": method.title_vi}


def is_blank(item: RequestItem) -> bool:
    """Say whether a line of a request form was left empty (no instrument, no service, no procedure)."""
    return not item.instrument_id and not item.service and not item.procedure_key


def _check_applies(instrument: Instrument, procedure_key: str, field: str, row: int) -> None:
    instrument_type = instrument.instrument_type
    if procedure_applies(instrument_type, procedure_key):
        return
    available = applicable_procedures(instrument_type)
    if not available:
        raise RuleViolation(
            _(
                "Dòng %(row)s: chưa có quy trình nào cho loại phương tiện đo '%(name_vi)s'",
                row=row,
                name_vi=in_language(instrument_type.name_vi, instrument_type.name_en),
            ),
            field=field,
        )
    raise RuleViolation(
        _(
            "Dòng %(row)s: quy trình %(procedure_key)s không áp dụng cho loại phương tiện đo '%(name_vi)s' (áp "
            "dụng: %(items)s)",
            row=row,
            procedure_key=procedure_key,
            name_vi=in_language(instrument_type.name_vi, instrument_type.name_en),
            items=", ".join(cls.key for cls in available),
        ),
        field=field,
    )


def _check_item(session: Session, actor: User, organisation_id: int, item: RequestItem, index: int) -> Instrument:
    field = f"items[{index}]"
    row = index + 1
    if not item.instrument_id:
        raise RuleViolation(
            _("Dòng %(row)s: cần chọn phương tiện đo", row=row),
            field=f"{field}.instrument_id",
        )
    instrument = session.get(Instrument, item.instrument_id)
    if instrument is None or instrument.organisation_id != organisation_id:
        raise RuleViolation(
            _("Phương tiện đo không thuộc doanh nghiệp yêu cầu"),
            field=f"{field}.instrument_id",
        )
    if not item.service:
        raise RuleViolation(_("Dòng %(row)s: cần chọn dịch vụ", row=row), field=f"{field}.service")
    if item.service not in SERVICES:
        raise RuleViolation(
            _("Dòng %(row)s: dịch vụ không hợp lệ: %(service)r", row=row, service=item.service),
            field=f"{field}.service",
        )
    if not item.procedure_key:
        raise RuleViolation(
            _("Dòng %(row)s: cần chọn quy trình", row=row),
            field=f"{field}.procedure_key",
        )
    try:
        procedure = resolve_procedure(session, item.procedure_key)
    except RuleViolation as exc:
        raise RuleViolation(
            _("Dòng %(row)s: không có quy trình %(procedure_key)r", row=row, procedure_key=item.procedure_key),
            field=f"{field}.procedure_key",
        ) from exc
    _check_applies(instrument, item.procedure_key, f"{field}.procedure_key", row)
    is_verification = item.service in VERIFICATION_SERVICES
    if is_verification != (procedure.kind == "verification"):
        raise RuleViolation(
            _("Dòng %(row)s: quy trình không phù hợp với dịch vụ (kiểm định / hiệu chuẩn)", row=row),
            field=f"{field}.procedure_key",
        )
    return instrument


def create_request(
    session: Session,
    actor: User,
    *,
    organisation_id: int,
    items: list[RequestItem],
    requested_on: date | None = None,
    place: str = "lab",
    site_address: str | None = None,
    wants_conformity_statement: bool = False,
    decision_rule: str = "simple",
    agreed_on: date | None = None,
    contact_name: str | None = None,
    notes: str | None = None,
) -> ServiceRequest:
    """Record an enterprise's request; an enterprise user may only request for its own organisation."""
    require(actor, Capability.SUBMIT_REQUESTS)
    if not may_see_organisation(actor, organisation_id):
        raise PermissionDenied(_("Chỉ được gửi yêu cầu cho phương tiện đo của doanh nghiệp mình"))
    organisation = session.get(Organisation, organisation_id)
    if organisation is None:
        raise RuleViolation(_("Không có doanh nghiệp này"), field="organisation_id")
    if all(is_blank(item) for item in items):
        raise RuleViolation(_("Yêu cầu cần ít nhất một phương tiện đo"), field="items")
    if place not in PLACES:
        raise RuleViolation(_("Địa điểm không hợp lệ"), field="place")
    if place == "on_site" and not (site_address or "").strip():
        raise RuleViolation(_("Cần ghi địa chỉ hiện trường"), field="site_address")
    if decision_rule not in DECISION_RULES:
        raise RuleViolation(
            _("Quy tắc quyết định không hợp lệ: %(decision_rule)s", decision_rule=decision_rule), "decision_rule"
        )
    seen = set()
    lines = []
    for index, item in enumerate(items):
        if is_blank(item):  # a line of the form left empty; the index still names the form's row
            continue
        _check_item(session, actor, organisation_id, item, index)
        if (item.instrument_id, item.service) in seen:
            raise RuleViolation(
                _("Phương tiện đo bị lặp trong yêu cầu"),
                field=f"items[{index}].instrument_id",
            )
        seen.add((item.instrument_id, item.service))
        instrument = session.get(Instrument, item.instrument_id)
        method = choose_method(
            instrument.instrument_type,
            item.procedure_key,
            method_id=item.method_id,
            method_code=item.method_code,
            field=f"items[{index}].method_id",
            row=index + 1,
        )
        lines.append(
            ServiceRequestItem(
                instrument_id=item.instrument_id,
                service=item.service,
                procedure_key=item.procedure_key,
                procedure_version_id=version_for_new_job(session, item.procedure_key),
                **_method_fields(method),
            )
        )
    request = ServiceRequest(
        number=_new_number("YC"),
        organisation_id=organisation_id,
        status="submitted",
        place=place,
        site_address=(site_address or "").strip() or None,
        wants_conformity_statement=wants_conformity_statement,
        decision_rule=decision_rule,
        requested_on=requested_on or lab_today(),
        agreed_on=agreed_on,
        contact_name=contact_name,
        notes=notes,
        created_by_id=actor.id,
        items=lines,
    )
    session.add(request)
    session.flush()
    request.number = f"YC{request.requested_on:%Y}-{request.id:05d}"
    session.flush()
    log.info("request %s created by %s with %d items", request.number, actor.username, len(lines))
    return request


def accept_request(
    session: Session,
    actor: User,
    request: ServiceRequest,
    *,
    notes: str | None = None,
    agreed_on: date | None = None,
    technician: User | None = None,
    day: date | None = None,
    methods: dict[int, int] | None = None,
    wants_conformity_statement: bool | None = None,
    conformity_specification: str | None = None,
) -> list[Job]:
    """Record the contract review as accepted and open one job per item (given a technician, scheduled for them).

    ``methods`` maps an item's id to the method the reviewer chose among those the catalogue allows; an item whose
    type allows several methods must have one chosen here (ISO/IEC 17025 7.1.1: the method agreed with the customer).
    ``wants_conformity_statement``: whether the customer asked for a statement of conformity (ISO/IEC 17025 7.1.3);
    None keeps what the request said. ``conformity_specification``: what conformity is stated against, e.g.
    "OIML R 111-1, cấp M1": required when a calibration is to carry a statement.
    """
    require(actor, Capability.REVIEW_CONTRACTS)
    if request.status != "submitted":
        raise RuleViolation(_("Yêu cầu đã được xem xét"), field="status")
    _review_conformity(request, wants_conformity_statement, conformity_specification)
    # The catalogue may have changed since the request (or the request predates the check): review it again.
    for index, item in enumerate(request.items):
        _check_applies(item.instrument, item.procedure_key, f"items[{index}].procedure_key", index + 1)
        chosen = (methods or {}).get(item.id) or item.method_id
        method = choose_method(
            item.instrument.instrument_type,
            item.procedure_key,
            method_id=chosen,
            field=f"items[{index}].method_id",
            row=index + 1,
            required=True,
        )
        if method is not None or item.method_id is not None:
            for name, value in _method_fields(method).items():
                setattr(item, name, value)
    request.status = "accepted"
    request.reviewed_by_id = actor.id
    request.reviewed_at = utcnow()
    request.review_notes = notes
    if agreed_on is not None:
        request.agreed_on = agreed_on
    jobs = []
    for item in request.items:
        job = Job(
            number=_new_number("CV"),
            request=request,
            instrument_id=item.instrument_id,
            service=item.service,
            procedure_key=item.procedure_key,
            procedure_version_id=item.procedure_version_id,
            method_id=item.method_id,
            method_code=item.method_code,
            method_name=item.method_name,
            place=request.place,
            status="received",
            received_on=lab_today(),
        )
        session.add(job)
        jobs.append(job)
    with audit_reason(f"contract review accepted: {notes or ''}".strip()):
        session.flush()
        for job in jobs:
            job.number = f"CV{job.received_on:%Y}-{job.id:05d}"
        session.flush()
    if technician is not None:
        for job in jobs:
            schedule_job(session, actor, job, technician=technician, day=day or lab_today())
    return jobs


def _review_conformity(request: ServiceRequest, wants: bool | None, specification: str | None) -> None:
    """Record whether a statement of conformity was agreed and against what (a verification always states one)."""
    if wants is not None:
        request.wants_conformity_statement = wants
    specification = (specification or "").strip() or None
    if not request.wants_conformity_statement:
        request.conformity_specification = None
        return
    if specification is None and any(item.service == "calibration" for item in request.items):
        raise RuleViolation(
            _("Cần ghi quy định kỹ thuật để tuyên bố sự phù hợp (vd. OIML R 111-1, cấp M1)"),
            field="conformity_specification",
        )
    request.conformity_specification = specification


def decline_request(session: Session, actor: User, request: ServiceRequest, *, notes: str) -> ServiceRequest:
    """Record the contract review as declined, with the reason."""
    require(actor, Capability.REVIEW_CONTRACTS)
    notes = _require_text(notes, "review_notes", _("lý do từ chối"))
    if request.status != "submitted":
        raise RuleViolation(_("Yêu cầu đã được xem xét"), field="status")
    request.status = "declined"
    request.reviewed_by_id = actor.id
    request.reviewed_at = utcnow()
    request.review_notes = notes
    with audit_reason(notes):
        session.flush()
    return request


# --- authorisations and verifier cards --------------------------------------------------------------------


def _check_period(valid_from: date, valid_until: date | None) -> None:
    if valid_until is not None and valid_until < valid_from:
        raise RuleViolation(_("Ngày hết hạn trước ngày hiệu lực"), field="valid_until")


def grant_authorisation(
    session: Session, actor: User, *, user_id: int, procedure_key: str, valid_from: date, valid_until: date | None
) -> Authorisation:
    """Authorise a person to perform a procedure for a period."""
    require(actor, Capability.MANAGE_AUTHORISATIONS)
    person = session.get(User, user_id)
    if person is None or not person.is_lab_staff:
        raise RuleViolation(_("Chỉ cấp quyền cho nhân viên phòng thí nghiệm"), "user_id")
    try:
        resolve_procedure(session, procedure_key)
    except RuleViolation as exc:
        raise RuleViolation(
            _("Quy trình không tồn tại: %(procedure_key)s", procedure_key=procedure_key), "procedure_key"
        ) from exc
    _check_period(valid_from, valid_until)
    authorisation = Authorisation(
        user_id=user_id,
        procedure_key=procedure_key,
        valid_from=valid_from,
        valid_until=valid_until,
        granted_by_id=actor.id,
    )
    session.add(authorisation)
    session.flush()
    return authorisation


def revoke_authorisation(session: Session, actor: User, authorisation: Authorisation, reason: str) -> None:
    """Withdraw an authorisation (kept, marked revoked)."""
    require(actor, Capability.MANAGE_AUTHORISATIONS)
    reason = _require_text(reason, "reason", _("lý do thu hồi"))
    authorisation.revoked = True
    with audit_reason(reason):
        session.flush()


def grant_verifier_card(
    session: Session,
    actor: User,
    *,
    user_id: int,
    card_number: str,
    field: str,
    valid_from: date,
    valid_until: date | None,
    issued_by: str | None = None,
) -> VerifierCard:
    """Record a verifier's card (thẻ kiểm định viên) for a field of measurement."""
    require(actor, Capability.MANAGE_AUTHORISATIONS)
    person = session.get(User, user_id)
    if person is None or not person.is_lab_staff:
        raise RuleViolation(_("Chỉ nhân viên phòng thí nghiệm có thẻ"), "user_id")
    card_number = _require_text(card_number, "card_number", _("số thẻ"))
    if session.scalar(select(VerifierCard.id).where(VerifierCard.card_number == card_number)):
        raise RuleViolation(_("Số thẻ đã có: %(card_number)s", card_number=card_number), field="card_number")
    _check_period(valid_from, valid_until)
    card = VerifierCard(
        user_id=user_id,
        card_number=card_number,
        field=_require_text(field, "field", _("lĩnh vực")),
        valid_from=valid_from,
        valid_until=valid_until,
        issued_by=issued_by,
        granted_by_id=actor.id,
    )
    session.add(card)
    session.flush()
    return card


def _valid_on(row, day: date) -> bool:
    return not row.revoked and row.valid_from <= day and (row.valid_until is None or day <= row.valid_until)


def ensure_authorised(session: Session, person: User, job: Job, day: date) -> None:
    """Refuse a person not authorised for the job's procedure on that day (or without a verifier card for it)."""
    authorisations = session.scalars(
        select(Authorisation).where(
            Authorisation.user_id == person.id, Authorisation.procedure_key == job.procedure_key
        )
    ).all()
    if not any(_valid_on(row, day) for row in authorisations):
        raise RuleViolation(
            _(
                "%(full_name)s chưa được phân quyền thực hiện quy trình %(procedure_key)s vào ngày %(day)s",
                full_name=person.full_name,
                procedure_key=job.procedure_key,
                day=format(day, "%d/%m/%Y"),
            ),
            field="technician_id",
        )
    if job.service in VERIFICATION_SERVICES:
        field = procedure_for(job).verifier_field
        cards = session.scalars(select(VerifierCard).where(VerifierCard.user_id == person.id)).all()
        if not any(_valid_on(card, day) and card.field == field for card in cards):
            raise RuleViolation(
                _(
                    "%(full_name)s không có thẻ kiểm định viên còn hiệu lực cho lĩnh vực %(field)s vào ngày %(day)s",
                    full_name=person.full_name,
                    field=field,
                    day=format(day, "%d/%m/%Y"),
                ),
                field="technician_id",
            )


# --- the job's life cycle ---------------------------------------------------------------------------------


def _move(session: Session, job: Job, to: str, reason: str | None = None) -> None:
    if to not in TRANSITIONS.get(job.status, set()):
        raise RuleViolation(
            _(
                "Không thể chuyển công việc từ '%(status)s' sang '%(to)s'",
                status=JobStatus(job.status).label,
                to=JobStatus(to).label,
            ),
            field="status",
        )
    with audit_reason(reason or f"{job.status} -> {to}"):
        job.status = to
        session.flush()


def _check_performer(actor: User, job: Job) -> None:
    require(actor, Capability.MEASURE)
    if may(actor, Capability.PLAN_JOBS):  # who assigns the work may also do it
        return
    if job.technician_id != actor.id:
        raise PermissionDenied(_("Công việc này được giao cho người khác"), field="technician_id")


def schedule_job(session: Session, actor: User, job: Job, *, technician: User, day: date) -> Job:
    """Assign a job to a technician on a day (again, to reschedule)."""
    require(actor, Capability.PLAN_JOBS)
    if "technician" not in technician.roles:
        raise RuleViolation(
            _("%(full_name)s không phải kỹ thuật viên", full_name=technician.full_name), "technician_id"
        )
    ensure_authorised(session, technician, job, day)
    if job.status == "scheduled":
        reason = f"rescheduled to {day.isoformat()} for {technician.username}"
    else:
        reason = f"scheduled on {day.isoformat()} for {technician.username}"
    job.technician_id = technician.id
    job.scheduled_on = day
    _move(session, job, "scheduled", reason)
    return job


def start_job(session: Session, actor: User, job: Job) -> Job:
    """Begin measuring: the assigned technician (or a manager) takes the job in hand."""
    _check_performer(actor, job)
    _move(session, job, "in_progress", "measurement started")
    return job


def finish_measurement(session: Session, actor: User, job: Job) -> Job:
    """Declare the measurements complete: the job goes to review with the decision of its latest record."""
    _check_performer(actor, job)
    current = current_records(job)
    if not current:
        raise RuleViolation(_("Chưa có biên bản đo nào"), field="records")
    final = current.get("as_left") or current["as_found"]
    job.measured_on = final.measured_on
    job.measured_by_id = final.recorded_by_id
    job.passed = final.passed
    job.adjusted = len(current) == 2
    _move(session, job, "measured", "measurement finished")
    return job


def reopen_measurement(session: Session, actor: User, job: Job, reason: str) -> Job:
    """Send a measured job back to measuring (a reviewer's finding, a missed test)."""
    require(actor, Capability.HANDLE_JOBS)
    reason = _require_text(reason, "reason", _("lý do"))
    job.second_look_reason = None
    job.second_look_flagged_at = None
    _move(session, job, "in_progress", reason)
    return job


def ensure_records_complete(job: Job) -> None:
    """Refuse a job whose current record lacks what its procedure requires for a decision, naming the first item."""
    for record in current_records(job).values():
        missing = record.missing
        if not missing:
            continue
        first = missing[0]
        more_vi = f" (và {len(missing) - 1} mục khác)" if len(missing) > 1 else ""
        more_en = f" (and {len(missing) - 1} more)" if len(missing) > 1 else ""
        raise RuleViolation(
            _(
                "Biên bản chưa đủ để kết luận: %(message_vi)s%(more_vi)s",
                message_vi=in_language(first["message_vi"], first["message_en"]),
                more_vi=in_language(more_vi, more_en),
            ),
            field=f"observations.{first['field']}",
        )


def measured_by(person: User, job: Job) -> bool:
    """Say whether this person measured the job (wrote one of its records): they may not review it."""
    return person.id in {record.recorded_by_id for record in job.records} | {job.measured_by_id}


def review_job(session: Session, actor: User, job: Job, *, notes: str | None = None) -> Job:
    """Record the second person's review; the person who measured may not review their own work."""
    require(actor, Capability.REVIEW_RECORDS)
    if measured_by(actor, job):
        raise RuleViolation(
            _("Người soát xét không được là người đã đo"),
            field="reviewed_by_id",
        )
    ensure_records_complete(job)
    job.reviewed_by_id = actor.id
    job.reviewed_at = utcnow()
    job.review_notes = notes
    _move(session, job, "reviewed", f"reviewed: {notes or ''}".strip())
    return job


def mark_certified(session: Session, actor, job: Job) -> Job:
    """Move a reviewed job to certified (called by issuing when its certificate is issued)."""
    require(actor, Capability.ISSUE_CERTIFICATES)
    job.certified_at = utcnow()
    _move(session, job, "certified", "certificate issued")
    return job


def reopen_for_certificate(session: Session, actor, job: Job, reason: str) -> Job:
    """Move a certified job back to reviewed when its certificate number was voided before it could be issued."""
    if not may(actor, Capability.MANAGE_NUMBERING):
        require(actor, Capability.REVOKE_CERTIFICATES)
    if job.status != "certified":
        raise RuleViolation(_("Công việc %(number)s không ở trạng thái đã cấp.", number=job.number), field="status")
    with audit_reason(f"certified -> reviewed: {reason}"):
        job.status, job.certified_at = "reviewed", None
        session.flush()
    return job


def mark_returned(session: Session, actor, job: Job, returned_on: date | None = None) -> Job:
    """Move a certified job to returned (the instrument and its certificate went back to the enterprise)."""
    require(actor, Capability.ISSUE_CERTIFICATES)
    job.returned_on = returned_on or lab_today()
    _move(session, job, "returned", "returned to the enterprise")
    return job


def hold_job(session: Session, actor: User, job: Job, reason: str) -> Job:
    """Put an open job on hold, remembering the state to resume to."""
    require(actor, Capability.HANDLE_JOBS)
    reason = _require_text(reason, "reason", _("lý do tạm dừng"))
    if job.status not in OPEN_STATES:
        raise RuleViolation(
            _("Không thể tạm dừng công việc ở trạng thái '%(status)s'", status=JobStatus(job.status).label),
            field="status",
        )
    with audit_reason(reason):
        job.status_before_hold = job.status
        job.hold_reason = reason
        job.status = "on_hold"
        session.flush()
    return job


def resume_job(session: Session, actor: User, job: Job) -> Job:
    """Take a job off hold, back to the state it was in."""
    require(actor, Capability.HANDLE_JOBS)
    if job.status != "on_hold":
        raise RuleViolation(_("Công việc không ở trạng thái tạm dừng"), field="status")
    with audit_reason(f"resumed to {job.status_before_hold}"):
        job.status = job.status_before_hold or "received"
        job.status_before_hold = None
        job.hold_reason = None
        session.flush()
    return job


def cancel_job(session: Session, actor: User, job: Job, reason: str) -> Job:
    """Cancel a job that has not been certified, with the reason."""
    require(actor, Capability.PLAN_JOBS)
    reason = _require_text(reason, "reason", _("lý do hủy"))
    if job.status not in (*OPEN_STATES, "on_hold"):
        raise RuleViolation(
            _("Không thể hủy công việc ở trạng thái '%(status)s'", status=JobStatus(job.status).label),
            field="status",
        )
    with audit_reason(reason):
        job.cancel_reason = reason
        job.status = "cancelled"
        session.flush()
    return job


# --- measurement records ----------------------------------------------------------------------------------


def procedure_for(job: Job) -> Procedure:
    """Return the job's procedure, carrying the job's ĐLVN method."""
    cls = resolve_procedure(object_session(job), job.procedure_key, job.procedure_version_id)
    method = MethodReference(job.method_code, job.method_name or "") if job.method_code else None
    return cls(method=method)


def _json_ready(value: Any) -> Any:
    # Results hold floats (possibly inf/nan from a Welch-Satterthwaite sum) and enums: store what JSON can hold.
    def clean(item):
        if isinstance(item, float) and not math.isfinite(item):
            return None
        if isinstance(item, dict):
            return {str(k): clean(v) for k, v in item.items()}
        if isinstance(item, list | tuple):
            return [clean(v) for v in item]
        return item

    return clean(json.loads(json.dumps(value, default=str, allow_nan=True)))


@dataclass(frozen=True)
class Preview:
    """What a record would say: the computed result and any environmental condition out of limits."""

    result: dict
    passed: bool | None
    environment_problems: list[dict]


def check_conditions(procedure: Procedure, conditions: dict) -> list[dict]:
    """Return the environmental conditions that are missing or outside the procedure's limits."""
    try:
        return procedure.environment_problems(conditions)
    except InputError as exc:
        message = _("Điều kiện môi trường chưa đúng: %(problem)s", problem=exc.message)
        raise RuleViolation(message, field=exc.field) from exc


def compute_result(
    job: Job, stage: str, observations: dict, conditions: dict, standards: list[dict] | None = None
) -> Preview:
    """Compute what the procedure gives for these observations and the standards' values; saves nothing."""
    if stage not in STAGES:
        raise RuleViolation(_("Giai đoạn không hợp lệ"), field="stage")
    procedure = procedure_for(job)
    try:
        result = procedure.calculate(procedure.with_standards(observations, standards or []), Stage(stage))
    except InputError as exc:
        raise RuleViolation(f"Dữ liệu đo chưa đúng / {exc.message}", field=f"observations.{exc.field}") from exc
    return Preview(_json_ready(result.as_dict()), result.passed, check_conditions(procedure, conditions))


def standard_problem(standard: Standard, day: date) -> str | None:
    """Say why a standard cannot be used on that day ("out_of_service" or "overdue"), None when it can.

    The rule is the standards register's (:func:`ensure_usable_on`); this only names which part of it refuses.
    """
    try:
        ensure_usable_on(standard, day)
    except RuleViolation:
        return "out_of_service" if standard.status != "in_service" else "overdue"
    return None


def snapshot_standard(session: Session, standard: Standard, day: date) -> dict:
    """Return the standard's newest calibration on that day, with its values, as the record keeps it."""
    calibration = session.scalars(
        select(StandardCalibration)
        .where(StandardCalibration.standard_id == standard.id, StandardCalibration.calibrated_on <= day)
        .order_by(StandardCalibration.calibrated_on.desc(), StandardCalibration.id.desc())
        .limit(1)
    ).first()
    entry = {
        "standard_id": standard.id,
        "code": standard.code,
        "name": standard.name,
        "accuracy_class": standard.accuracy_class,
        "due_on": standard.due_on.isoformat() if standard.due_on else None,
        "calibration": None,
    }
    if calibration is not None:
        entry["calibration"] = {
            "id": calibration.id,
            "certificate_number": calibration.certificate_number,
            "calibrating_lab": calibration.calibrating_lab,
            "calibrated_on": calibration.calibrated_on.isoformat(),
            "due_on": calibration.due_on.isoformat(),
            "values": [
                {
                    "item_id": value.item_id,
                    "item": value.item.nominal if value.item else None,
                    "nominal_kg": value.item.nominal_kg if value.item else None,
                    "marking": value.item.marking if value.item else None,
                    # the weight's density is the register's, not the certificate's: kept so a record shows both
                    "density": value.item.density if value.item else None,
                    "density_uncertainty": value.item.density_uncertainty if value.item else None,
                    "quantity": value.quantity,
                    "value": value.value,
                    "unit": value.unit,
                    "expanded_uncertainty": value.expanded_uncertainty,
                    "coverage_factor": value.coverage_factor,
                }
                for value in calibration.values
            ],
        }
    return entry


def standards_on(session: Session, standard_ids: list[int], day: date) -> list[dict]:
    """Return the snapshot of the chosen standards on a day (unknown ids left out: saving refuses them)."""
    standards = [session.get(Standard, standard_id) for standard_id in dict.fromkeys(standard_ids)]
    return [snapshot_standard(session, standard, day) for standard in standards if standard is not None]


def current_records(job: Job) -> dict[str, MeasurementRecord]:
    """Return the job's current (not superseded) record per stage."""
    return {record.stage: record for record in job.records if not record.superseded}


def record_measurement(
    session: Session,
    actor: User,
    job: Job,
    *,
    stage: str,
    observations: dict,
    conditions: dict,
    standard_ids: list[int],
    measured_on: date | None = None,
    change_reason: str | None = None,
) -> MeasurementRecord:
    """Save a stage's observations and computed result; a second save of a stage is a new revision with a reason."""
    _check_performer(actor, job)
    if job.status != "in_progress":
        raise RuleViolation(
            _("Chỉ ghi kết quả đo khi công việc đang đo"),
            field="status",
        )
    day = measured_on or lab_today()
    if day > lab_today():
        raise RuleViolation(_("Ngày đo không thể ở tương lai"), "measured_on")
    ensure_authorised(session, actor, job, day)
    if not standard_ids:
        raise RuleViolation(_("Cần chọn chuẩn đã dùng"), field="standards")
    standards = []
    for standard_id in dict.fromkeys(standard_ids):
        standard = session.get(Standard, standard_id)
        if standard is None:
            raise RuleViolation(_("Không có chuẩn này"), field="standards")
        ensure_usable_on(standard, day)
        standards.append(standard)
    snapshot = [snapshot_standard(session, standard, day) for standard in standards]
    preview = compute_result(job, stage, observations, conditions, snapshot)
    if preview.environment_problems:
        problem = preview.environment_problems[0]
        raise RuleViolation(problem["message"], field=problem["field"])
    previous = current_records(job).get(stage)
    revision = 1
    if previous is not None:
        change_reason = _require_text(change_reason, "change_reason", _("lý do sửa"))
        previous.superseded = True
        revision = previous.revision + 1
    checked = check_reference(job, observations, snapshot)
    record = MeasurementRecord(
        job=job,
        stage=stage,
        revision=revision,
        observations=_json_ready(observations),
        conditions=_json_ready(conditions),
        standards_snapshot=snapshot,
        result=preview.result,
        procedure_version_id=job.procedure_version_id,
        passed=preview.passed,
        measured_on=day,
        recorded_by_id=actor.id,
        recorded_at=utcnow(),
        change_reason=change_reason if revision > 1 else None,
    )
    session.add(record)
    used = {row.standard_id: row for row in job.standards_used}
    for standard, entry in zip(standards, snapshot, strict=True):
        calibration_id = entry["calibration"]["id"] if entry["calibration"] else None
        if standard.id in used:
            used[standard.id].calibration_id = calibration_id
            used[standard.id].used_on = day
        else:
            job.standards_used.append(JobStandard(standard_id=standard.id, calibration_id=calibration_id, used_on=day))
    with audit_reason(change_reason if revision > 1 else f"record {stage} revision 1"):
        session.flush()
    if checked and checked["status"] == "differs":
        log.warning(
            "record %s of job %s: reference values differ from certificate %s (%s) by %s",
            record.id,
            job.number,
            checked["source"]["certificate_number"],
            ", ".join(row["field"] for row in checked["differences"]),
            actor.username,
        )
    return record


def _reference_group(job: Job):
    fields = {field.name: field for field in procedure_for(job).observation_fields()}
    group = fields.get("reference")
    if group is None or group.kind != "group" or "conventional_mass" not in {f.name for f in group.fields}:
        return None
    return group


def reference_prefill(
    session: Session, job: Job, standard_ids: list[int], day: date, nominals: list[str]
) -> reference.Prefill | None:
    """Return the reference weight's values from the chosen standards' certificates on that day, for the form.

    None when the job's procedure has no reference weight. Standards that cannot be found are ignored here; the
    save refuses them (and any not usable on the day).
    """
    if _reference_group(job) is None:
        return None
    return reference.prefill(standards_on(session, standard_ids, day), nominals)


def check_reference(job: Job, observations: dict, snapshot: list[dict]) -> dict | None:
    """Compare the record's reference values with its standards' certificate and keep the outcome in the snapshot.

    A difference beyond rounding does not refuse the save (the lab may have a reason); the record carries it, so its
    page and the job's review show it (ISO/IEC 17025 7.5, 7.11). Returns the outcome, None if nothing to compare.
    """
    group = _reference_group(job)
    if group is None:
        return None
    checked = reference.check(snapshot, observations)
    if checked is None:
        return None
    labels = {field.name: (field.label_vi, field.label_en) for field in group.fields}
    for row in checked["differences"]:
        row["label_vi"], row["label_en"] = labels.get(row["field"], (row["field"], row["field"]))
    for entry in snapshot:
        if entry["standard_id"] == checked["source"]["standard_id"]:
            entry["reference_check"] = checked
    return checked


def initial_observations(job: Job) -> dict:
    """Return the observations a new record starts from: what the instrument and the request already say."""
    instrument = job.instrument
    procedure = procedure_for(job)
    register = {
        "accuracy_class": instrument.accuracy_class,
        "range_min": instrument.range_min,
        "range_max": instrument.range_max,
        "unit": instrument.unit,
        "resolution": instrument.resolution,
        "verification_interval": instrument.verification_interval,
    }
    document: dict[str, Any] = procedure.initial_observations(register)
    if "decision_rule" in {field.name for field in procedure.observation_fields()}:
        document["decision_rule"] = job.request.decision_rule
    return document


def record_history(session: Session, record: MeasurementRecord) -> list[MeasurementRecord]:
    """Return every revision of a record's job and stage, newest first."""
    return list(
        session.scalars(
            select(MeasurementRecord)
            .where(MeasurementRecord.job_id == record.job_id, MeasurementRecord.stage == record.stage)
            .order_by(MeasurementRecord.revision.desc())
        )
    )
