"""People: staff competence records, training events and their attendees (one trained person met again is
reused), and the count of people trained."""

import re
import unicodedata
from datetime import date

from flask_babel import gettext as _
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from lims.auth.models import User
from lims.auth.permissions import Capability, require
from lims.core.errors import RuleViolation
from lims.core.model import nfc
from lims.customers.models import Organisation
from lims.quality.models import (
    COMPETENCE_KINDS,
    CompetenceRecord,
    TrainedPerson,
    TrainingAttendance,
    TrainingEvent,
)
from lims.quality.services._common import _get, _required


def add_competence_record(
    session: Session,
    actor,
    *,
    user_id: int,
    kind: str,
    title: str,
    institution: str | None = None,
    started_on: date | None = None,
    ended_on: date | None = None,
    notes: str | None = None,
) -> CompetenceRecord:
    """Add a line to a staff member's competence file."""
    require(actor, Capability.MANAGE_QUALITY)
    person = _get(session, User, user_id, _("nhân viên"))
    if not person.is_lab_staff:
        raise RuleViolation(_("Chỉ nhân viên phòng thí nghiệm"), field="user_id")
    if kind not in COMPETENCE_KINDS:
        raise RuleViolation(_("Loại hồ sơ không hợp lệ"), field="kind")
    if started_on and ended_on and ended_on < started_on:
        raise RuleViolation(_("Ngày kết thúc trước ngày bắt đầu"), field="ended_on")
    record = CompetenceRecord(
        user_id=person.id,
        kind=kind,
        title=_required(title, "title", _("nội dung")),
        institution=institution or None,
        started_on=started_on,
        ended_on=ended_on,
        notes=notes or None,
    )
    session.add(record)
    session.flush()
    return record


def create_training_event(
    session: Session,
    actor,
    *,
    title: str,
    held_on: date,
    ended_on: date | None = None,
    place: str | None = None,
    organiser: str | None = None,
    hours: float | None = None,
    notes: str | None = None,
) -> TrainingEvent:
    """Record a training course or workshop."""
    require(actor, Capability.RECORD_QUALITY)
    if ended_on and ended_on < held_on:
        raise RuleViolation(_("Ngày kết thúc trước ngày bắt đầu"), field="ended_on")
    if hours is not None and hours <= 0:
        raise RuleViolation(_("Số giờ phải dương"), field="hours")
    event = TrainingEvent(
        title=_required(title, "title", _("tên khóa học")),
        held_on=held_on,
        ended_on=ended_on,
        place=place or None,
        organiser=organiser or None,
        hours=hours,
        notes=notes or None,
    )
    session.add(event)
    session.flush()
    return event


def _folded(text: str) -> str:
    """Case-, space- and accent-insensitive form of a name, so "Nguyễn  Văn A" and "nguyen van a" match."""
    decomposed = unicodedata.normalize("NFD", text.casefold().replace("đ", "d"))
    bare = "".join(ch for ch in decomposed if unicodedata.category(ch) != "Mn")
    return re.sub(r"\s+", " ", bare).strip()


def identity_key(
    *,
    full_name: str,
    organisation_name: str | None = None,
    user_id: int | None = None,
    id_number: str | None = None,
    email: str | None = None,
) -> str:
    """Return the key that identifies a trained person: account, ID card number, e-mail, else name + organisation."""
    if user_id:
        return f"user:{user_id}"
    if id_number and id_number.strip():
        return "id:" + re.sub(r"\s+", "", id_number)
    if email and email.strip():
        return "email:" + email.strip().lower()
    return f"name:{_folded(full_name)}|{_folded(organisation_name or '')}"


def add_attendee(
    session: Session,
    actor,
    event: TrainingEvent,
    *,
    full_name: str = "",
    organisation_name: str | None = None,
    category: str = "enterprise",
    user_id: int | None = None,
    organisation_id: int | None = None,
    id_number: str | None = None,
    email: str | None = None,
) -> TrainingAttendance:
    """Add a person to a training event; the same person met again (same identity key) is reused, not duplicated."""
    require(actor, Capability.RECORD_QUALITY)
    if category not in ("lab", "agency", "enterprise"):
        raise RuleViolation(_("Nhóm học viên không hợp lệ"), field="category")
    user = _get(session, User, user_id, _("tài khoản")) if user_id else None
    if user is not None:
        full_name = full_name or user.full_name
        organisation_id = organisation_id or user.organisation_id
    full_name = _required(full_name, "full_name", _("họ tên"))
    organisation = _get(session, Organisation, organisation_id, _("tổ chức")) if organisation_id else None
    organisation_name = nfc((organisation_name or (organisation.name if organisation else "") or "").strip()) or None
    key = identity_key(
        full_name=full_name,
        organisation_name=organisation_name,
        user_id=user.id if user else None,
        id_number=id_number,
        email=email,
    )
    person = session.scalar(select(TrainedPerson).where(TrainedPerson.identity_key == key))
    if person is None:
        person = TrainedPerson(
            identity_key=key[:300],
            full_name=full_name,
            organisation_name=organisation_name,
            organisation_id=organisation.id if organisation else None,
            user_id=user.id if user else None,
            category=category,
        )
        session.add(person)
        session.flush()
    if any(a.person_id == person.id for a in event.attendances):
        raise RuleViolation(_("%(full_name)s đã có trong danh sách", full_name=full_name), field="full_name")
    attendance = TrainingAttendance(event=event, person=person)
    session.add(attendance)
    session.flush()
    return attendance


def people_trained(session: Session, start: date, end: date) -> int:
    """Count distinct people who attended training held between two days (inclusive)."""
    query = (
        select(func.count(func.distinct(TrainingAttendance.person_id)))
        .join(TrainingEvent, TrainingAttendance.event_id == TrainingEvent.id)
        .where(TrainingEvent.held_on >= start, TrainingEvent.held_on <= end)
    )
    return session.scalar(query) or 0
