"""Enterprises, the instrument catalogue and its cycles, enterprises' instruments, import, recall and reminders.

Functions other domains call:
- ``cycle_in_force(session, instrument_type_id, on_day)`` -> the VerificationCycle in force that day (or None);
- ``verification_valid_until(session, instrument_type_id, verified_on)`` -> (valid until | None, cycle): the
  "Có giá trị đến" date of a verification made that day, under the lab's valid-until rule; None when the type has
  only an initial verification; raises RuleViolation when no rule was in force. Issuing must also refuse when
  ``cycle.confirmed`` is False;
- ``record_service(session, instrument, kind, service_on, valid_until)`` after a certificate is issued;
- ``enrolled_enterprises_count(session, until)`` for the provincial plan.
"""

import hashlib
import logging
import os
import secrets
import smtplib
from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import date, datetime
from email.message import EmailMessage
from importlib import resources
from urllib.parse import unquote, urlsplit

from flask import current_app, has_app_context
from flask_babel import gettext as _
from sqlalchemy import func, insert, select
from sqlalchemy.orm import Session

from lims.audit.trail import audit_reason, record_event
from lims.auth.permissions import Capability, may, may_see_organisation, require
from lims.core.dates import is_plausible_day
from lims.core.errors import NotFound, RuleViolation
from lims.core.model import nfc, utcnow
from lims.core.numbers import decimal_point
from lims.customers import rules
from lims.customers.importing import SheetRow, UnreadableFile, read_sheet
from lims.customers.models import (
    ENROLMENT_STATES,
    ENROLMENT_STEPS,
    AssuranceEnrolment,
    Contact,
    Instrument,
    InstrumentType,
    LabSetting,
    Method,
    Organisation,
    OutboxMessage,
    ReminderLog,
    VerificationCycle,
)
from lims.customers.queries import calendar_items_query, reminder_candidates_query

log = logging.getLogger(__name__)

SERVICE_KINDS = ("verification", "calibration")
CHANNELS = ("email", "letter")
VALID_UNTIL_SETTING = "valid_until_rule"
IMPORT_BATCH_SIZE = 5000


# --- enterprises -----------------------------------------------------------------------------------------------


def check_tax_code(text: str | None) -> str | None:
    """Return a tax code in its normal form (None when blank), refusing one whose check digit is wrong."""
    if text is None or not text.strip():
        return None
    try:
        return rules.normalise_tax_code(text)
    except rules.TaxCodeError as exc:
        raise RuleViolation(f"Mã số thuế {text.strip()}: {exc}", field="tax_code") from exc


def _check_tax_code_free(session: Session, tax_code: str | None, organisation_id: int | None) -> None:
    if tax_code is None:
        return
    holder = session.scalar(select(Organisation.id).where(Organisation.tax_code == tax_code))
    if holder is not None and holder != organisation_id:
        raise RuleViolation(
            _("Mã số thuế %(tax_code)s đã được dùng cho doanh nghiệp khác", tax_code=tax_code),
            field="tax_code",
        )


ORGANISATION_FIELDS = ("name", "tax_code", "address", "province", "email", "phone")


def create_organisation(session: Session, actor, *, name: str, kind: str = "enterprise", **fields) -> Organisation:
    """Register an enterprise (or agency) with a checked tax code."""
    require(actor, Capability.MANAGE_CUSTOMERS)
    if not (name or "").strip():
        raise RuleViolation(_("Cần tên doanh nghiệp"), field="name")
    tax_code = check_tax_code(fields.pop("tax_code", None))
    if kind == "enterprise" and tax_code is None:
        raise RuleViolation(_("Doanh nghiệp cần mã số thuế"), field="tax_code")
    _check_tax_code_free(session, tax_code, None)
    organisation = Organisation(kind=kind, name=name.strip(), tax_code=tax_code, **_clean(fields))
    session.add(organisation)
    session.flush()
    return organisation


def update_organisation(session: Session, actor, organisation: Organisation, **fields) -> Organisation:
    """Change an organisation's name, tax code, address or contact details."""
    require(actor, Capability.MANAGE_CUSTOMERS)
    if "name" in fields and not (fields["name"] or "").strip():
        raise RuleViolation(_("Cần tên doanh nghiệp"), field="name")
    if "tax_code" in fields:
        fields["tax_code"] = check_tax_code(fields["tax_code"])
        if organisation.kind == "enterprise" and fields["tax_code"] is None:
            raise RuleViolation(_("Doanh nghiệp cần mã số thuế"), field="tax_code")
        _check_tax_code_free(session, fields["tax_code"], organisation.id)
    for key, value in _clean(fields).items():
        if key not in ORGANISATION_FIELDS:
            raise ValueError(f"not an organisation field: {key}")
        setattr(organisation, key, value)
    session.flush()
    return organisation


def _clean(fields: dict) -> dict:
    return {key: (value.strip() or None) if isinstance(value, str) else value for key, value in fields.items()}


def get_organisation(session: Session, user, organisation_id: int) -> Organisation:
    """Load an organisation this person may read (others are told it does not exist)."""
    organisation = session.get(Organisation, organisation_id)
    if organisation is None or not may_see_organisation(user, organisation.id):
        raise NotFound(_("Không có doanh nghiệp này"))
    return organisation


def add_contact(session: Session, actor, organisation: Organisation, *, name: str, **fields) -> Contact:
    """Add a contact person to an enterprise."""
    require(actor, Capability.MANAGE_CUSTOMERS)
    if not (name or "").strip():
        raise RuleViolation(_("Cần tên người liên hệ"), field="name")
    contact = Contact(organisation=organisation, name=name.strip(), **_clean(fields))
    session.add(contact)
    session.flush()
    return contact


def remove_contact(session: Session, actor, organisation: Organisation, contact_id: int) -> None:
    """Remove a contact person from an enterprise."""
    require(actor, Capability.MANAGE_CUSTOMERS)
    contact = session.get(Contact, contact_id)
    if contact is None or contact.organisation_id != organisation.id:
        raise NotFound(_("Không có người liên hệ này"))
    session.delete(contact)
    session.flush()


def save_enrolment(
    session: Session,
    actor,
    organisation: Organisation,
    *,
    status: str,
    enrolled_on: date | None,
    steps_done: Iterable[str] = (),
    withdrawn_on: date | None = None,
    notes: str | None = None,
) -> AssuranceEnrolment:
    """Record or update an enterprise's enrolment in the measurement assurance programme (QĐ 510/QĐ-BKHCN)."""
    require(actor, Capability.MANAGE_ASSURANCE)
    if organisation.kind != "enterprise":
        raise RuleViolation(_("Chỉ doanh nghiệp tham gia chương trình"), field="status")
    if status not in ENROLMENT_STATES:
        raise RuleViolation(_("Trạng thái không hợp lệ: %(status)s", status=status), field="status")
    steps = [step for step in ENROLMENT_STEPS if step in set(steps_done)]
    unknown = set(steps_done) - set(ENROLMENT_STEPS)
    if unknown:
        raise RuleViolation(_("Bước không hợp lệ: %(items)s", items=", ".join(sorted(unknown))), field="steps_done")
    if status in ("enrolled", "completed", "withdrawn") and enrolled_on is None:
        raise RuleViolation(_("Cần ngày tham gia"), field="enrolled_on")
    if status == "withdrawn" and withdrawn_on is None:
        raise RuleViolation(_("Cần ngày rút khỏi chương trình"), field="withdrawn_on")
    if withdrawn_on and enrolled_on and withdrawn_on < enrolled_on:
        raise RuleViolation(_("Ngày rút trước ngày tham gia"), field="withdrawn_on")
    enrolment = organisation.enrolment or AssuranceEnrolment(organisation=organisation)
    enrolment.status = status
    enrolment.enrolled_on = enrolled_on
    enrolment.withdrawn_on = withdrawn_on if status == "withdrawn" else None
    enrolment.steps_done = steps
    enrolment.notes = (notes or "").strip() or None
    session.add(enrolment)
    session.flush()
    return enrolment


def enrolled_enterprises_count(session: Session, until: date) -> int:
    """Count the enterprises enrolled in the measurement assurance programme on ``until`` (the plan's target)."""
    query = (
        select(func.count(AssuranceEnrolment.id))
        .join(Organisation, Organisation.id == AssuranceEnrolment.organisation_id)
        .where(
            Organisation.kind == "enterprise",
            AssuranceEnrolment.enrolled_on.is_not(None),
            AssuranceEnrolment.enrolled_on <= until,
            (AssuranceEnrolment.withdrawn_on.is_(None)) | (AssuranceEnrolment.withdrawn_on > until),
        )
    )
    return session.scalar(query) or 0


# --- the catalogue and its verification cycles ------------------------------------------------------------------


def _data_rows(name: str) -> list[dict[str, str]]:
    import csv
    import io

    text = resources.files("lims.customers.data").joinpath(name).read_text(encoding="utf-8")
    return list(csv.DictReader(io.StringIO(text)))


def seed_catalogue(session: Session, actor) -> tuple[int, int]:
    """Add the instrument types and cycles of the seed files that the database lacks; return (types, cycles) added.

    The database is authoritative: a type or cycle already there (perhaps corrected by a manager) is left alone.
    """
    require(actor, Capability.MANAGE_CATALOGUE)
    types = {t.code: t for t in session.scalars(select(InstrumentType))}
    added_types = added_cycles = 0
    for row in _data_rows("instrument_types.csv"):
        if row["code"] in types:
            continue
        instrument_type = InstrumentType(
            code=row["code"],
            name_vi=row["name_vi"],
            name_en=row["name_en"],
            legal_group=int(row["legal_group"]),
            procedure_keys=",".join(row["procedure_keys"].split()),
            calibration_interval_months=int(row["calibration_interval_months"] or 0) or None,
        )
        session.add(instrument_type)
        types[row["code"]] = instrument_type
        added_types += 1
    session.flush()
    existing = set(session.execute(select(VerificationCycle.instrument_type_id, VerificationCycle.effective_from)))
    for row in _data_rows("verification_cycles.csv"):
        instrument_type = types[row["code"]]
        effective_from = date.fromisoformat(row["effective_from"])
        if (instrument_type.id, effective_from) in existing:
            continue
        session.add(
            VerificationCycle(
                instrument_type_id=instrument_type.id,
                months=int(row["months"]) if row["months"] else None,
                effective_from=effective_from,
                legal_source=row["legal_source"],
                confirmed=row["confirmed"] == "yes",
            )
        )
        added_cycles += 1
    session.flush()
    seed_methods(session, actor, types)
    return added_types, added_cycles


def seed_methods(session: Session, actor, types: dict[str, InstrumentType]) -> int:
    """Add the seed file's ĐLVN methods the database lacks, with the types that allow them; return how many.

    Seeded methods are unconfirmed (their codes and titles were seen in use, not checked against the published
    text): a manager confirms each before it can decide a certificate. One already there is left alone.
    """
    require(actor, Capability.MANAGE_CATALOGUE)
    known = {method.code for method in session.scalars(select(Method))}
    added = 0
    for row in _data_rows("methods.csv"):
        if row["code"] in known:
            continue
        method = Method(
            code=row["code"],
            title_vi=row["title_vi"],
            title_en=row["title_en"],
            procedure_keys=",".join(row["procedure_keys"].split()),
            source=row["source"],
            confirmed=row["confirmed"] == "yes",
        )
        session.add(method)
        for code in row["instrument_types"].split():
            if code in types:
                types[code].methods.append(method)
        added += 1
    session.flush()
    return added


def allowed_methods(instrument_type: InstrumentType, procedure_key: str) -> list[Method]:
    """Return the methods the catalogue allows for this type that the procedure implements."""
    return [method for method in instrument_type.methods if procedure_key in method.procedures]


def stamp_confirmed(session: Session, actor, item, reason: str) -> None:
    """Mark an unconfirmed legal value confirmed by ``actor``, the reason in the audit trail.

    The one confirmation of the lab's legal values, whatever holds them: a seeded verification cycle, a seeded ĐLVN
    method, a value a procedure definition marks unconfirmed. Each has ``confirmed``, ``confirmed_by_id`` and
    ``confirmed_at``; the caller has checked the reason and made its own changes inside the same audit event.
    """
    require(actor, Capability.MANAGE_CATALOGUE)
    with audit_reason(reason.strip()):
        item.confirmed = True
        item.confirmed_by_id = actor.id
        item.confirmed_at = utcnow()
        session.flush()


def confirm_method(session: Session, actor, method: Method, *, reason: str) -> Method:
    """Confirm a seeded method after checking its code and title against the published text (audited)."""
    require(actor, Capability.MANAGE_CATALOGUE)
    if not (reason or "").strip():
        raise RuleViolation(_("Cần nêu căn cứ xác nhận phương pháp."), field="reason")
    stamp_confirmed(session, actor, method, reason)
    return method


def cycle_in_force(session: Session, instrument_type_id: int, on_day: date) -> VerificationCycle | None:
    """Return the verification cycle of a type in force on a day: the latest rule that took effect by then."""
    return session.scalar(
        select(VerificationCycle)
        .where(VerificationCycle.instrument_type_id == instrument_type_id, VerificationCycle.effective_from <= on_day)
        .order_by(VerificationCycle.effective_from.desc())
        .limit(1)
    )


def valid_until_rule(session: Session) -> str:
    """Return the lab's rule for "valid until": the setting stored by a manager, else LIMS_VALID_UNTIL_RULE."""
    stored = session.get(LabSetting, VALID_UNTIL_SETTING)
    if stored is not None:
        return stored.value
    configured = (current_app.config.get("VALID_UNTIL_RULE") if has_app_context() else None) or os.environ.get(
        "LIMS_VALID_UNTIL_RULE"
    )
    return configured if configured in rules.VALID_UNTIL_RULES else rules.DEFAULT_VALID_UNTIL_RULE


def set_valid_until_rule(session: Session, actor, rule: str, reason: str | None = None) -> None:
    """Choose how "valid until" follows from a verification's cycle (same_day, day_before or end_of_month)."""
    require(actor, Capability.MANAGE_CATALOGUE)
    if rule not in rules.VALID_UNTIL_RULES:
        raise RuleViolation(_("Quy tắc không hợp lệ: %(rule)s", rule=rule), field="rule")
    with audit_reason(reason):
        setting = session.get(LabSetting, VALID_UNTIL_SETTING)
        if setting is None:
            session.add(LabSetting(key=VALID_UNTIL_SETTING, value=rule))
        else:
            setting.value = rule
        session.flush()


def verification_valid_until(
    session: Session, instrument_type_id: int, verified_on: date
) -> tuple[date | None, VerificationCycle]:
    """Return the "Có giá trị đến" date of a verification made on ``verified_on`` and the cycle it rests on.

    The cycle is the one in force on the verification day (a later rule applies only to later verifications).
    The date is None when the type has an initial verification only. Raises RuleViolation when no rule was in
    force that day. The caller must refuse to certify when ``cycle.confirmed`` is False.
    """
    cycle = cycle_in_force(session, instrument_type_id, verified_on)
    if cycle is None:
        raise RuleViolation(
            _(
                "Chưa có chu kỳ kiểm định có hiệu lực ngày %(verified_on)s cho loại phương tiện đo này",
                verified_on=format(verified_on, "%d/%m/%Y"),
            ),
            field="instrument_type_id",
        )
    if cycle.months is None:
        return None, cycle
    return rules.valid_until_after(verified_on, cycle.months, valid_until_rule(session)), cycle


def valid_until(instrument_type: InstrumentType, verified_on: date, settings=None) -> date | None:
    """Return the "valid until" date of a verification (see verification_valid_until, which also gives the cycle)."""
    from sqlalchemy.orm import object_session

    session = object_session(instrument_type)
    if session is None:
        raise ValueError("the instrument type must belong to a session")
    day, _cycle = verification_valid_until(session, instrument_type.id, verified_on)
    return day


def calibration_due(instrument_type: InstrumentType, calibrated_on: date) -> date | None:
    """Return the next calibration the lab recommends (no legal validity: the lab's interval, if it has one)."""
    if not instrument_type.calibration_interval_months:
        return None
    return rules.add_months(calibrated_on, instrument_type.calibration_interval_months)


def next_due(
    instrument_type: InstrumentType, kind: str, last: date, cycles: Iterable[VerificationCycle], rule: str
) -> date | None:
    """Return when an instrument last serviced on ``last`` is next due: the one rule, whoever asks.

    A verification of a type the law requires verified is due again at the "valid until" of the cycle in force on
    that day (``rule`` says which day ends the cycle); a type verified only once (no months), or with no cycle in
    force, has no due date. A calibration, or a type that is only calibrated, follows the lab's recommended
    interval. ``cycles`` are the type's cycles (loaded once per import by ``CycleBook``).
    """
    if kind == "calibration" or not instrument_type.requires_verification:
        return calibration_due(instrument_type, last)
    in_force = [cycle for cycle in cycles if cycle.effective_from <= last]
    if not in_force:
        return None
    cycle = max(in_force, key=lambda cycle: cycle.effective_from)
    return None if cycle.months is None else rules.valid_until_after(last, cycle.months, rule)


def record_service(
    session: Session, actor, instrument: Instrument, kind: str, service_on: date, valid_until: date | None
) -> Instrument:
    """Update an instrument's last service and next due date after its certificate is issued.

    For a verification the next due date is the certificate's "valid until"; for a calibration it is the given
    date or the lab's recommended interval. A certificate for an older service than the one on record changes
    nothing (certificates may be issued out of order).
    """
    require(actor, Capability.ISSUE_CERTIFICATES)
    if kind not in SERVICE_KINDS:
        raise ValueError(f"kind must be one of {SERVICE_KINDS}")
    if instrument.last_service_on is not None and service_on < instrument.last_service_on:
        return instrument
    _set_service(instrument, kind, service_on, valid_until)
    session.flush()
    return instrument


def _set_service(instrument: Instrument, kind: str, service_on: date, valid_until: date | None) -> None:
    # A verification is due again on its certificate's "valid until"; a calibration on the given date or the lab's
    # recommended interval.
    instrument.last_service_on = service_on
    instrument.last_service_kind = kind
    if kind == "verification":
        instrument.next_due_on = valid_until
    else:
        instrument.next_due_on = valid_until or calibration_due(instrument.instrument_type, service_on)


def reset_service(
    session: Session,
    actor,
    instrument: Instrument,
    kind: str | None,
    service_on: date | None,
    valid_until: date | None,
) -> Instrument:
    """Put an instrument's last service back to an earlier one (or to none) when a later certificate stops standing.

    Unlike :func:`record_service` this may move the dates backwards; the caller names the service that stands. Who
    withdraws a certificate (revoking it) or a number (voiding it) may do this.
    """
    if not may(actor, Capability.MANAGE_NUMBERING):
        require(actor, Capability.REVOKE_CERTIFICATES)
    if kind is None or service_on is None:
        instrument.last_service_on, instrument.last_service_kind, instrument.next_due_on = None, None, None
    elif kind in SERVICE_KINDS:
        _set_service(instrument, kind, service_on, valid_until)
    else:
        raise ValueError(f"kind must be one of {SERVICE_KINDS}")
    session.flush()
    return instrument


TYPE_FIELDS = ("name_vi", "name_en", "legal_group", "procedure_keys", "calibration_interval_months", "active")


def update_instrument_type(session: Session, actor, instrument_type: InstrumentType, **fields) -> InstrumentType:
    """Change a catalogue entry (names, group, procedures that serve it, calibration interval)."""
    require(actor, Capability.MANAGE_CATALOGUE)
    if "procedure_keys" in fields:
        keys = [key.strip() for key in (fields["procedure_keys"] or "").replace(" ", ",").split(",") if key.strip()]
        fields["procedure_keys"] = ",".join(keys)
    for key, value in fields.items():
        if key not in TYPE_FIELDS:
            raise ValueError(f"not an instrument type field: {key}")
        setattr(instrument_type, key, value)
    session.flush()
    return instrument_type


def add_cycle(
    session: Session,
    actor,
    instrument_type: InstrumentType,
    *,
    months: int | None,
    effective_from: date,
    legal_source: str,
    reason: str | None = None,
) -> VerificationCycle:
    """Add a rule changing a type's cycle from a date (entered by a manager, hence confirmed)."""
    require(actor, Capability.MANAGE_CATALOGUE)
    if months is not None and months <= 0:
        raise RuleViolation(_("Chu kỳ phải dương"), field="months")
    if not (legal_source or "").strip():
        raise RuleViolation(_("Cần căn cứ pháp lý"), field="legal_source")
    if any(cycle.effective_from == effective_from for cycle in instrument_type.cycles):
        raise RuleViolation(_("Đã có quy định có hiệu lực từ ngày này"), field="effective_from")
    with audit_reason(reason or _("thêm chu kỳ kiểm định")):
        cycle = VerificationCycle(
            instrument_type=instrument_type,
            months=months,
            effective_from=effective_from,
            legal_source=legal_source.strip(),
            confirmed=True,
            confirmed_by_id=actor.id,
            confirmed_at=utcnow(),
        )
        session.add(cycle)
        session.flush()
    return cycle


def confirm_cycle(
    session: Session, actor, cycle: VerificationCycle, *, months: int | None, legal_source: str, reason: str
) -> VerificationCycle:
    """Confirm (or correct, then confirm) a seeded rule after checking it against the official text."""
    require(actor, Capability.MANAGE_CATALOGUE)
    if not (reason or "").strip():
        raise RuleViolation(_("Cần nêu căn cứ xác nhận"), field="reason")
    if months is not None and months <= 0:
        raise RuleViolation(_("Chu kỳ phải dương"), field="months")
    cycle.months = months
    cycle.legal_source = (legal_source or cycle.legal_source).strip()
    stamp_confirmed(session, actor, cycle, reason)  # the correction and the confirmation in one audited flush
    return cycle


# --- instruments ----------------------------------------------------------------------------------------------

INSTRUMENT_FIELDS = (
    "instrument_type_id",
    "maker",
    "country",
    "model",
    "serial",
    "range_min",
    "range_max",
    "unit",
    "resolution",
    "verification_interval",
    "accuracy_class",
    "location",
    "notes",
    "last_service_on",
    "last_service_kind",
    "next_due_on",
    "active",
)


def get_instrument(session: Session, user, instrument_id: int) -> Instrument:
    """Load an instrument this person may read (another organisation's is "not found")."""
    instrument = session.get(Instrument, instrument_id)
    if instrument is None or not may_see_organisation(user, instrument.organisation_id):
        raise NotFound(_("Không có phương tiện đo này"))
    return instrument


def _check_instrument(session: Session, values: dict) -> None:
    instrument_type = session.get(InstrumentType, values.get("instrument_type_id") or 0)
    if instrument_type is None:
        raise RuleViolation(_("Loại phương tiện đo không tồn tại"), field="instrument_type_id")
    if not (values.get("serial") or "").strip():
        raise RuleViolation(_("Cần số sản xuất (số hiệu)"), field="serial")
    low, high = values.get("range_min"), values.get("range_max")
    if low is not None and high is not None and low > high:
        raise RuleViolation(_("Phạm vi đo: min lớn hơn max"), field="range_min")
    for key in ("resolution", "verification_interval", "range_max"):
        if values.get(key) is not None and values[key] <= 0:
            raise RuleViolation(_("Giá trị phải dương"), field=key)
    if values.get("last_service_kind") not in (None, *SERVICE_KINDS):
        raise RuleViolation(_("Loại dịch vụ không hợp lệ"), field="last_service_kind")
    if values.get("next_due_on") is None and values.get("last_service_on") is not None:
        values["next_due_on"] = next_due_from_last(session, instrument_type, values)


def next_due_from_last(session: Session, instrument_type: InstrumentType, values: dict) -> date | None:
    """Derive the next due date from the last service typed on the instrument's form."""
    kind = values.get("last_service_kind") or instrument_type.usual_service_kind
    return next_due(instrument_type, kind, values["last_service_on"], instrument_type.cycles, valid_until_rule(session))


def create_instrument(session: Session, actor, organisation: Organisation, **values) -> Instrument:
    """Register an enterprise's instrument."""
    require(actor, Capability.MANAGE_CUSTOMERS)
    values = _clean(values)
    _check_instrument(session, values)
    instrument = Instrument(organisation_id=organisation.id, **values)
    session.add(instrument)
    session.flush()
    return instrument


def update_instrument(session: Session, actor, instrument: Instrument, **values) -> Instrument:
    """Change an instrument's description, location or dates."""
    require(actor, Capability.MANAGE_CUSTOMERS)
    values = _clean(values)
    merged = {key: getattr(instrument, key) for key in INSTRUMENT_FIELDS} | values
    _check_instrument(session, merged)
    for key in INSTRUMENT_FIELDS:
        if key in merged:
            setattr(instrument, key, merged[key])
    session.flush()
    return instrument


# --- bulk import --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ImportProblem:
    """Why one cell (or row) of an import file was refused."""

    row: int
    column: str
    reason: str


@dataclass
class ImportReport:
    """The outcome of an import: either every row inserted, or none and the problems found."""

    filename: str
    sha256: str
    rows: int = 0
    imported: int = 0
    problems: list[ImportProblem] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems


MAX_REPORTED_PROBLEMS = 1000
_TEXT_LIMITS = {
    "maker": 200,
    "country": 100,
    "model": 200,
    "serial": 100,
    "unit": 20,
    "accuracy_class": 20,
    "location": 300,
    "tax_code": 20,
    "type_code": 40,
}


def _as_text(value) -> str | None:
    if value is None:
        return None
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    text = nfc(str(value)).strip()
    return text or None


def _as_number(value) -> float | None:
    if value is None or value == "":
        return None
    if isinstance(value, int | float) and not isinstance(value, bool):
        return float(value)
    # Vietnamese sheets write 0,5 for one half, and 1.000,5 with points between thousands
    number = float(decimal_point(str(value).replace(" ", "")))
    if number != number or number in (float("inf"), float("-inf")):
        raise ValueError("not finite")
    return number


def _as_date(value) -> date | None:
    if value is None or value == "":
        return None
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    text = str(value).strip()
    if "/" in text:  # dd/mm/yyyy, as Vietnamese sheets write days (strptime is ten times slower)
        day, month, year = text.split("/")
        if len(year) != 4:
            raise ValueError(text)
        return date(int(year), int(month), int(day))
    return date.fromisoformat(text[:10] if len(text) > 10 and text[10] in " T" else text)


class CycleBook:
    """Every cycle of every type held in memory, so a 100,000-row import does not query per row."""

    def __init__(self, session: Session, rule: str):
        self.rule = rule
        self.by_type: dict[int, list[VerificationCycle]] = defaultdict(list)
        for cycle in session.scalars(select(VerificationCycle).order_by(VerificationCycle.effective_from)):
            self.by_type[cycle.instrument_type_id].append(cycle)

    def due_after(self, instrument_type: InstrumentType, kind: str, last: date) -> date | None:
        return next_due(instrument_type, kind, last, self.by_type.get(instrument_type.id, ()), self.rule)


def _parse_row(
    row: SheetRow,
    organisation_id: int | None,
    organisations: dict[str, int],
    types: dict[str, InstrumentType],
    cycles: CycleBook,
    problems: list[ImportProblem],
) -> dict | None:
    cells = row.cells
    before = len(problems)

    def refuse(column: str, reason: str) -> None:
        problems.append(ImportProblem(row.number, column, reason))

    values: dict = {}
    for key, limit in _TEXT_LIMITS.items():
        text = _as_text(cells.get(key))
        if text is not None and len(text) > limit:
            refuse(key, _("dài quá %(limit)s ký tự", limit=limit))
        values[key] = text
    values["notes"] = _as_text(cells.get("notes"))
    if organisation_id is not None:
        values["organisation_id"] = organisation_id
        if values["tax_code"] is not None:
            try:
                code = rules.normalise_tax_code(values["tax_code"])
            except rules.TaxCodeError as exc:
                refuse("tax_code", str(exc))
            else:
                if organisations.get(code) != organisation_id:
                    refuse("tax_code", _("không phải mã số thuế của doanh nghiệp này"))
    elif values["tax_code"] is None:
        refuse("tax_code", _("cần mã số thuế của doanh nghiệp"))
    else:
        try:
            code = rules.normalise_tax_code(values["tax_code"])
        except rules.TaxCodeError as exc:
            refuse("tax_code", str(exc))
        else:
            if code not in organisations:
                refuse("tax_code", _("không có doanh nghiệp mã số thuế %(code)s", code=code))
            else:
                values["organisation_id"] = organisations[code]
    instrument_type = None
    if values["type_code"] is None:
        refuse("type_code", _("cần mã loại phương tiện đo"))
    else:
        instrument_type = types.get(values["type_code"])
        if instrument_type is None:
            refuse(
                "type_code",
                _(
                    "không có loại '%(type_code)s' trong danh mục",
                    type_code=values["type_code"],
                ),
            )
        else:
            values["instrument_type_id"] = instrument_type.id
    if values["serial"] is None:
        refuse("serial", _("cần số sản xuất"))
    for key in ("range_min", "range_max", "resolution", "verification_interval"):
        try:
            values[key] = _as_number(cells.get(key))
        except (ValueError, TypeError):
            refuse(key, _("không phải số: %(get)r", get=cells.get(key)))
            values[key] = None
        else:
            if key != "range_min" and values[key] is not None and values[key] <= 0:
                refuse(key, _("phải lớn hơn 0"))
    if (
        values["range_min"] is not None
        and values["range_max"] is not None
        and values["range_min"] > values["range_max"]
    ):
        refuse("range_min", _("lớn hơn phạm vi đo đến"))
    for key in ("last_service_on", "next_due_on"):
        try:
            values[key] = _as_date(cells.get(key))
        except (ValueError, TypeError):
            refuse(key, _("ngày không hợp lệ (dd/mm/yyyy hoặc yyyy-mm-dd): %(get)r", get=cells.get(key)))
            values[key] = None
        else:
            if values[key] is not None and not is_plausible_day(values[key]):
                refuse(key, _("ngày ngoài khoảng 1900–2100: %(values)s", values=values[key]))
                values[key] = None
    kind = _as_text(cells.get("last_service_kind"))
    kind = {"kiểm định": "verification", "hiệu chuẩn": "calibration"}.get((kind or "").lower(), kind)
    if kind is not None and kind not in SERVICE_KINDS:
        refuse("last_service_kind", "chỉ 'verification' / 'kiểm định' hoặc 'calibration' / 'hiệu chuẩn'")
    if kind is None and values["last_service_on"] is not None and instrument_type is not None:
        kind = instrument_type.usual_service_kind
    values["last_service_kind"] = kind
    if len(problems) > before:
        return None
    if values["next_due_on"] is None and values["last_service_on"] is not None:
        values["next_due_on"] = cycles.due_after(instrument_type, kind, values["last_service_on"])
    del values["tax_code"], values["type_code"]
    return values


def import_instruments(
    session: Session,
    actor,
    content: bytes,
    filename: str,
    *,
    organisation_id: int | None = None,
    progress: Callable[[int], None] | None = None,
) -> ImportReport:
    """Import instruments from a CSV or XLSX file: all rows, or none with the problem of each refused row.

    With ``organisation_id`` every row belongs to that enterprise; otherwise each row names its enterprise by
    tax code. Rows are inserted in batches by Core inserts (the ORM audit hook does not see them), so one
    summary event records the count and the file's SHA-256.
    """
    require(actor, Capability.MANAGE_CUSTOMERS)
    report = ImportReport(filename=filename, sha256=hashlib.sha256(content).hexdigest())
    try:
        _keys, sheet_rows = read_sheet(content, filename)
    except UnreadableFile as exc:
        report.problems.append(ImportProblem(1, "-", str(exc)))
        return report
    organisations = {
        code: ident
        for code, ident in session.execute(
            select(Organisation.tax_code, Organisation.id).where(Organisation.tax_code.is_not(None))
        )
    }
    if organisation_id is not None and session.get(Organisation, organisation_id) is None:
        raise NotFound(_("Không có doanh nghiệp này"))
    types = {t.code: t for t in session.scalars(select(InstrumentType).where(InstrumentType.active.is_(True)))}
    cycles = CycleBook(session, valid_until_rule(session))
    parsed: list[dict] = []
    seen: dict[tuple, int] = {}
    for sheet_row in sheet_rows:
        report.rows += 1
        values = _parse_row(sheet_row, organisation_id, organisations, types, cycles, report.problems)
        if values is not None:
            key = (values["organisation_id"], values["instrument_type_id"], values["serial"])
            if key in seen:
                report.problems.append(
                    ImportProblem(sheet_row.number, "serial", _("trùng với dòng %(seen)s", seen=seen[key]))
                )
            else:
                seen[key] = sheet_row.number
                parsed.append(values)
        if progress is not None:
            progress(1)
        if len(report.problems) >= MAX_REPORTED_PROBLEMS:
            break
    if report.rows == 0 and not report.problems:
        report.problems.append(ImportProblem(2, "-", _("tệp không có dòng dữ liệu")))
    if not report.problems:
        _refuse_known_serials(session, seen, report)
    if report.problems:
        return report
    for start in range(0, len(parsed), IMPORT_BATCH_SIZE):
        session.execute(insert(Instrument), parsed[start : start + IMPORT_BATCH_SIZE])
    report.imported = len(parsed)
    record_event(
        session,
        "import",
        "instrument",
        organisation_id if organisation_id is not None else "*",
        {"count": report.imported, "sha256": report.sha256, "filename": filename},
    )
    log.info("imported %d instruments from %s (%s)", report.imported, filename, report.sha256)
    return report


def _refuse_known_serials(session: Session, seen: dict[tuple, int], report: ImportReport) -> None:
    organisation_ids = {key[0] for key in seen}
    if not organisation_ids:
        return
    query = select(Instrument.organisation_id, Instrument.instrument_type_id, Instrument.serial).where(
        Instrument.organisation_id.in_(organisation_ids)
    )
    for known in session.execute(query):
        row_number = seen.get((known[0], known[1], known[2]))
        if row_number is not None:
            report.problems.append(ImportProblem(row_number, "serial", _("phương tiện đo này đã có trong hệ thống")))
            if len(report.problems) >= MAX_REPORTED_PROBLEMS:
                break
    report.problems.sort(key=lambda problem: problem.row)


# --- reminders and the outbox ------------------------------------------------------------------------------------


def queue_reminders(session: Session, actor, today: date, within_days: int = 30, channel: str = "email") -> int:
    """Queue one reminder per enterprise for its instruments due within ``within_days`` (or overdue).

    An instrument's due date is announced once per channel: the reminder log (unique on instrument, due date and
    channel) remembers it, so running this every day sends nothing twice. Returns the number of messages queued.
    """
    require(actor, Capability.SEND_REMINDERS)
    from datetime import timedelta

    if channel not in CHANNELS:
        raise RuleViolation(_("Kênh không hợp lệ: %(channel)s", channel=channel), field="channel")
    horizon = today + timedelta(days=within_days)
    due = session.execute(reminder_candidates_query(horizon, channel)).all()
    by_organisation: dict[int, list] = defaultdict(list)
    for instrument, type_name in due:
        by_organisation[instrument.organisation_id].append((instrument, type_name))
    queued = 0
    for organisation_id, items in by_organisation.items():
        organisation = session.get(Organisation, organisation_id)
        recipient = _recipient(organisation, channel)
        if recipient is None:
            log.info("no %s address for organisation %s: reminder not queued", channel, organisation_id)
            continue
        message = OutboxMessage(
            organisation_id=organisation_id,
            channel=channel,
            recipient=recipient,
            subject=f"Thông báo phương tiện đo đến hạn kiểm định/hiệu chuẩn - {organisation.name}",
            body=_reminder_body(organisation, items, today),
        )
        session.add(message)
        session.flush()
        for instrument, _type_name in items:
            session.add(
                ReminderLog(
                    instrument_id=instrument.id,
                    due_on=instrument.next_due_on,
                    channel=channel,
                    outbox_message_id=message.id,
                )
            )
        queued += 1
    session.flush()
    return queued


def _recipient(organisation: Organisation, channel: str) -> str | None:
    if channel == "letter":
        return organisation.address
    emails = [c.email for c in organisation.contacts if c.receives_reminders and c.email]
    if not emails and organisation.email:
        emails = [organisation.email]
    return ", ".join(emails) or None


def _reminder_body(organisation: Organisation, items: list, today: date) -> str:
    lines = [
        f"Kính gửi {organisation.name},",
        "",
        "Các phương tiện đo sau đây của Quý đơn vị đã hoặc sắp đến hạn kiểm định/hiệu chuẩn:",
        "",
    ]
    for instrument, type_name in sorted(items, key=lambda item: item[0].next_due_on):
        state = "QUÁ HẠN" if instrument.next_due_on < today else "đến hạn"
        lines.append(f"- {type_name}, số {instrument.serial}: {state} ngày {instrument.next_due_on:%d/%m/%Y}")
    lines += ["", "Đề nghị Quý đơn vị liên hệ phòng thí nghiệm để đăng ký kiểm định/hiệu chuẩn.", "Trân trọng."]
    return "\n".join(lines)


def send_outbox(session: Session, actor, smtp_url: str | None) -> tuple[int, int]:
    """Send the queued e-mails through the SMTP server of ``smtp_url``; return (sent, failed).

    Without a server nothing is sent and the messages stay listed in the outbox (letters are always printed).
    """
    require(actor, Capability.SEND_REMINDERS)
    if not smtp_url:
        return 0, 0
    queued = session.scalars(
        select(OutboxMessage).where(OutboxMessage.status == "queued", OutboxMessage.channel == "email")
    ).all()
    if not queued:
        return 0, 0
    parts = urlsplit(smtp_url)
    sender = os.environ.get("LIMS_SMTP_FROM") or (unquote(parts.username or "") or "lims@localhost")
    sent = failed = 0
    client_class = smtplib.SMTP_SSL if parts.scheme == "smtps" else smtplib.SMTP
    with client_class(parts.hostname or "localhost", parts.port or (465 if parts.scheme == "smtps" else 25)) as smtp:
        if parts.scheme == "smtp+starttls":
            smtp.starttls()
        if parts.username:
            smtp.login(unquote(parts.username), unquote(parts.password or ""))
        for message in queued:
            email = EmailMessage()
            email["From"] = sender
            email["To"] = message.recipient
            email["Subject"] = message.subject
            email.set_content(message.body)
            try:
                smtp.send_message(email)
            except smtplib.SMTPException as exc:
                message.status, message.error = "failed", str(exc)[:500]
                failed += 1
            else:
                message.status, message.sent_at = "sent", utcnow()
                sent += 1
    session.flush()
    return sent, failed


def mark_letter_printed(session: Session, actor, message_id: int) -> OutboxMessage:
    """Record that a reminder letter was printed and posted."""
    require(actor, Capability.SEND_REMINDERS)
    message = session.get(OutboxMessage, message_id)
    if message is None or message.channel != "letter":
        raise NotFound(_("Không có thư này"))
    message.status, message.sent_at = "printed", utcnow()
    session.flush()
    return message


# --- calendar feed ---------------------------------------------------------------------------------------------


def calendar_token(session: Session, actor, organisation: Organisation, renew: bool = False) -> str:
    """Return the enterprise's calendar link token, making one (or a new one, revoking the old link)."""
    require(actor, Capability.SHARE_CALENDAR)
    if not may_see_organisation(actor, organisation.id):
        raise NotFound(_("Không có doanh nghiệp này"))
    if organisation.calendar_token is None or renew:
        organisation.calendar_token = secrets.token_urlsafe(32)
        session.flush()
    return organisation.calendar_token


def organisation_by_calendar_token(session: Session, token: str) -> Organisation:
    """Return the enterprise a calendar link belongs to."""
    if not token or len(token) < 20:
        raise NotFound(_("Không có lịch này"))
    organisation = session.scalar(select(Organisation).where(Organisation.calendar_token == token))
    if organisation is None:
        raise NotFound(_("Không có lịch này"))
    return organisation


def calendar_feed(session: Session, organisation: Organisation, host: str) -> bytes:
    """Return an iCalendar document of the due dates of an enterprise's active instruments."""
    from icalendar import Calendar, Event

    feed = Calendar()
    feed.add("prodid", "-//LIMS//Recall//VI")
    feed.add("version", "2.0")
    feed.add("x-wr-calname", f"Hạn kiểm định - {organisation.name}")
    stamp = utcnow()
    for instrument_id, serial, due_on, type_name in session.execute(calendar_items_query(organisation.id)):
        event = Event()
        event.add("uid", f"instrument-{instrument_id}-{due_on:%Y%m%d}@{host}")
        event.add("dtstamp", stamp)
        event.add("dtstart", due_on)
        event.add("summary", f"Đến hạn kiểm định/hiệu chuẩn: {type_name} số {serial}")
        feed.add_component(event)
    return feed.to_ical()
