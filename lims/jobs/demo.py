"""Demo authorisations, verifier cards, requests and jobs in every state, with records computed by the procedures.

Instruments and standards come from the customers and standards demos; whatever is missing is skipped.
"""

import logging
import zlib
from datetime import timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from instruments import oiml_r76
from instruments.errors import InputError
from instruments.oiml_r111 import CLASSES
from instruments.procedures import PROCEDURES
from lims.auth.models import User
from lims.core.dates import lab_today
from lims.core.errors import RuleViolation
from lims.customers.models import Instrument, InstrumentType, Method
from lims.customers.services import confirm_method
from lims.jobs import services
from lims.jobs.models import Authorisation, ServiceRequest, VerifierCard
from lims.standards.models import Standard

log = logging.getLogger(__name__)

DEMO_NOTE = "Dữ liệu mẫu (demo)"
TECHNICIANS = ("ktv.an", "ktv.binh")
STANDARD_CODES = ("M1-01", "CSS-01", "QC-M1-01", "SS-01")  # the standards demo's M1 set and comparator, if present
# Three scales are reviewed: issuing's demo signs two of them (and hands one back), the third waits for a signatory.
SCALE_STATES = ("received", "scheduled", "in_progress", "measured", "reviewed", "reviewed", "reviewed", "on_hold")


def _user(session: Session, username: str) -> User | None:
    return session.scalar(select(User).where(User.username == username))


def _grant(session: Session, manager: User, person: User, today) -> None:
    if session.scalar(select(Authorisation.id).where(Authorisation.user_id == person.id)) is None:
        for cls_key in PROCEDURES:  # the built-in ones; a definition's key is granted once it is approved
            services.grant_authorisation(
                session,
                manager,
                user_id=person.id,
                procedure_key=cls_key,
                valid_from=today - timedelta(days=365),
                valid_until=today + timedelta(days=2 * 365),
            )
    if session.scalar(select(VerifierCard.id).where(VerifierCard.user_id == person.id)) is None:
        services.grant_verifier_card(
            session,
            manager,
            user_id=person.id,
            card_number=f"KĐV-VL-{person.id:04d}",
            field="khối lượng",
            valid_from=today - timedelta(days=365),
            valid_until=today + timedelta(days=4 * 365),
            issued_by="Tổng cục Tiêu chuẩn Đo lường Chất lượng",
        )


def _standards(session: Session, today) -> list[Standard]:
    found = list(session.scalars(select(Standard).where(Standard.code.in_(STANDARD_CODES))))
    if not found:
        found = list(session.scalars(select(Standard).where(Standard.kind.in_(("weight_set", "comparator")))))
    return [s for s in found if s.status == "in_service" and s.due_on and s.due_on >= today]


def _confirm_methods(session: Session, manager: User) -> None:
    # The catalogue seeds its ĐLVN methods unconfirmed; the demo manager has checked them against the texts.
    for method in session.scalars(select(Method).where(Method.confirmed.is_(False))):
        confirm_method(session, manager, method, reason="Dữ liệu mẫu: đã đối chiếu với văn bản ĐLVN (demo)")


def _instruments(session: Session, key: str, limit: int) -> list[Instrument]:
    query = (
        select(Instrument)
        .join(InstrumentType)
        .where(InstrumentType.procedure_keys.contains(key), Instrument.active.is_(True))
        .order_by(Instrument.id)
        .limit(limit)
    )
    return list(session.scalars(query))


def scale_observations(instrument: Instrument, weight_class: str | None = None) -> dict:
    """Return plausible R 76 observations for a scale: every indication exact, so every test passes.

    The weighing test covers the loads R 76 requires (Min, the MPE change points, Max); where d = e each loading
    carries ΔL = ½e (the change-point method), so E = I + ½e − ΔL − L = 0.
    """
    e = instrument.verification_interval or instrument.resolution
    d = instrument.resolution or e
    maximum, minimum = instrument.range_max, instrument.range_min or 20 * e

    def steps(value):
        return round(round(value / e) * e, 10)

    change_point = {"additional_load": round(e / 2, 12)} if d == e else {}
    required = oiml_r76.required_test_loads(minimum, maximum, e, instrument.accuracy_class)
    loads = sorted({*required, steps(maximum / 4), steps(maximum / 2)})
    third, half = steps(maximum / 3), steps(maximum / 2)
    observations = {
        "scale": {
            "accuracy_class": instrument.accuracy_class,
            "max": maximum,
            "min": minimum,
            "e": e,
            "d": d,
            "unit": instrument.unit,
        },
        "weighing": [{"load": load, "indication": load, **change_point} for load in loads]
        + [{"load": half, "indication": half, "direction": "decreasing", **change_point}],
        "eccentricity": {"load": third, "positions": [{"indication": third, **change_point} for _ in range(5)]},
        "repeatability": {"load": half, "loadings": [{"indication": half, **change_point} for _ in range(6)]},
    }
    if change_point:
        observations["zero"] = {"indication": 0, **change_point}
    if weight_class:
        observations["standard_weights"] = {"class": weight_class}
    return observations


def _best_weight_class(standards: list[Standard]) -> str | None:
    classes = [s.accuracy_class for s in standards if s.kind == "weight_set" and s.accuracy_class in CLASSES]
    return min(classes, key=CLASSES.index) if classes else None


def weight_nominal(instrument: Instrument) -> str:
    return f"{instrument.range_max:g} {instrument.unit or 'g'}"


def weight_observations(instrument: Instrument, reference: dict | None = None) -> dict:
    """Return ABBA observations for a weight against a reference of the same nominal value.

    ``reference`` is what the standard's certificate says of the reference weight (``services.reference_prefill``):
    a record whose reference differs from it is flagged at save and cannot be certified.
    """
    nominal = weight_nominal(instrument)
    typed = {"conventional_mass": nominal, "expanded_uncertainty": "1 mg", "coverage_factor": 2}
    return {
        "weight": {"nominal": nominal, "class": instrument.accuracy_class or "M1", "density": 7950},
        "reference": {"density": 8000, **(reference or typed)},
        "air": {"temperature": 22.0, "pressure": 1010.0, "humidity": 65},
        "cycle": "ABBA",
        "readings": [[0.0, 2.0, 2.5, 0.5], [0.5, 2.5, 2.0, 0.0], [0.0, 2.0, 2.0, 0.5]],
        "reading_unit": "mg",
        "balance": {"resolution": "0.1 mg"},
    }


def _reference_values(session: Session, job, standards: list[Standard], day, instrument: Instrument) -> dict | None:
    """The reference weight's values from the standards' certificates, as the record form pre-fills them."""
    prefill = services.reference_prefill(session, job, [s.id for s in standards], day, [weight_nominal(instrument)])
    return dict(prefill.values) if prefill is not None and prefill.values else None


def _advance(session: Session, job, state: str, people: dict, standards: list[Standard], observations, conditions):
    """Take a demo job along the workflow up to a state; stop quietly where a rule or the data says no."""
    today = lab_today()
    target = "measured" if state == "on_hold" else state
    # Certified and returned follow a real certificate, which only issuing's demo makes.
    order = ("received", "scheduled", "in_progress", "measured", "reviewed")
    reach = order.index(target)
    try:
        if reach >= 1:
            services.schedule_job(session, people["manager"], job, technician=people["an"], day=today)
        if reach >= 2:
            services.start_job(session, people["an"], job)
        if reach >= 3:
            if not standards:
                return
            services.record_measurement(
                session,
                people["an"],
                job,
                stage="as_found",
                observations=observations,
                conditions=conditions,
                standard_ids=[s.id for s in standards],
            )
            services.finish_measurement(session, people["an"], job)
        if reach >= 4:
            services.review_job(session, people["binh"], job, notes="Đã kiểm tra số liệu và tính toán")
        if state == "on_hold":
            services.hold_job(session, people["manager"], job, "Chờ doanh nghiệp xác nhận phạm vi đo")
    except RuleViolation as exc:
        log.info("demo job %s stopped at %s: %s", job.number, job.status, exc.message)


def load(session: Session) -> list[tuple[str, str]]:
    today = lab_today()
    people = {
        "manager": _user(session, "truongphong"),
        "an": _user(session, "ktv.an"),
        "binh": _user(session, "ktv.binh"),
    }
    if any(person is None for person in people.values()):
        return []
    for key in ("an", "binh"):
        _grant(session, people["manager"], people[key], today)
    if session.scalar(select(ServiceRequest.id).where(ServiceRequest.notes == DEMO_NOTE)) is not None:
        return []
    standards = _standards(session, today)
    _confirm_methods(session, people["manager"])
    scales = _instruments(session, "scale-verification-r76", len(SCALE_STATES) + 1)
    weights = _instruments(session, "weight-comparison-r111", 2)
    conditions = {"temperature": 24.0, "pressure": 1010.0, "humidity": 65.0}
    plan = [
        (inst, "periodic_verification", "scale-verification-r76", state)
        for inst, state in zip(scales, SCALE_STATES, strict=False)
    ]
    if len(scales) > len(SCALE_STATES):
        plan.append((scales[-1], "periodic_verification", "scale-verification-r76", "cancelled"))
    plan += [(inst, "calibration", "weight-comparison-r111", "reviewed") for inst in weights]
    for instrument, service, key, state in plan:
        conformity = {}
        if weights and instrument is weights[0]:
            # This customer asks for a statement of conformity (17025 7.1.3); the other weight's customer does not.
            conformity = {
                "wants_conformity_statement": True,
                "conformity_specification": f"OIML R 111-1, cấp {instrument.accuracy_class or 'M1'}",
            }
        job = _accepted_job(session, people["manager"], instrument, service, key, today, **conformity)
        if state == "cancelled":
            services.cancel_job(session, people["manager"], job, "Doanh nghiệp rút yêu cầu")
            continue
        try:
            observations = (
                scale_observations(instrument, _best_weight_class(standards))
                if key.startswith("scale")
                else weight_observations(instrument, _reference_values(session, job, standards, today, instrument))
            )
        except (TypeError, ZeroDivisionError, InputError):
            continue
        _advance(session, job, state, people, standards, observations, conditions)
    _defined_families(session, people, today)
    # One request still waiting for contract review.
    if scales:
        services.create_request(
            session,
            people["manager"],
            organisation_id=scales[0].organisation_id,
            items=[services.RequestItem(scales[0].id, "after_repair_verification", "scale-verification-r76")],
            notes=DEMO_NOTE,
        )
    return []


# The standard each role of a shipped definition is measured with in the demo (lims/standards/demo.py).
DEFINED_STANDARDS = {
    "reference_meter": "DHN-CH-01",
    "capacity_measure": "BC-20-01",
    "reference_manometer": "AK-HA-01",
    "reference_gauge": "AK-CH-01",
}


def _accepted_job(session: Session, manager: User, instrument: Instrument, service: str, key: str, today, **review):
    """A demo request for one instrument, accepted at contract review: the job it opens."""
    request = services.create_request(
        session,
        manager,
        organisation_id=instrument.organisation_id,
        items=[services.RequestItem(instrument.id, service, key)],
        agreed_on=today + timedelta(days=7),
        notes=DEMO_NOTE,
        contact_name="Phòng kỹ thuật",
    )
    # Contract review picks the first method the catalogue allows, where it allows several.
    methods = {
        item.id: allowed[0].id
        for item in request.items
        if (allowed := services.allowed_methods(item.instrument.instrument_type, item.procedure_key))
    }
    (job,) = services.accept_request(session, manager, request, notes="Đủ năng lực và chuẩn", methods=methods, **review)
    return job


def _authorise(session: Session, manager: User, person: User, procedure_key: str, field: str | None, today) -> None:
    """Authorise a demo technician for a defined procedure, with a verifier's card for its field if they lack one."""
    held = select(Authorisation.id).where(
        Authorisation.user_id == person.id, Authorisation.procedure_key == procedure_key
    )
    if session.scalar(held) is None:
        services.grant_authorisation(
            session,
            manager,
            user_id=person.id,
            procedure_key=procedure_key,
            valid_from=today - timedelta(days=30),
            valid_until=today + timedelta(days=2 * 365),
        )
    cards = select(VerifierCard.id).where(VerifierCard.user_id == person.id, VerifierCard.field == field)
    if field and session.scalar(cards) is None:
        services.grant_verifier_card(
            session,
            manager,
            user_id=person.id,
            card_number=f"KĐV-VL-{person.id:04d}-{zlib.crc32(field.encode()) % 1000:03d}",
            field=field,
            valid_from=today - timedelta(days=365),
            valid_until=today + timedelta(days=4 * 365),
            issued_by="Tổng cục Tiêu chuẩn Đo lường Chất lượng",
        )


def _defined_families(session: Session, people: dict, today) -> None:
    """One instrument of each family a shipped definition verifies, from request to review, with the definition's
    first worked example as its readings: issuing's demo then signs their certificates."""
    from lims.procedures.demo import approved_versions
    from lims.procedures.services import version_class

    for version in approved_versions(session):
        definition = version_class(version).definition
        for key in ("an", "binh"):
            _authorise(session, people["manager"], people[key], version.key, definition.verifier_field, today)
        instrument = session.scalar(
            select(Instrument)
            .join(InstrumentType)
            .where(InstrumentType.code.in_(definition.instrument_types), Instrument.active.is_(True))
            .order_by(Instrument.id)
            .limit(1)
        )
        if instrument is None:
            continue
        codes = [DEFINED_STANDARDS[role.role] for role in definition.standards if role.role in DEFINED_STANDARDS]
        standards = list(session.scalars(select(Standard).where(Standard.code.in_(codes))))
        # Conditions in the middle of each limit the definition sets.
        conditions = {
            limit.name: ((limit.minimum if limit.minimum is not None else 20) + (limit.maximum or 20)) / 2
            for limit in definition.environment
        }
        service = "periodic_verification" if version.kind == "verification" else "calibration"
        job = _accepted_job(session, people["manager"], instrument, service, version.key, today)
        observations = dict(definition.examples[0].observations)
        _advance(session, job, "reviewed", people, standards, observations, conditions)
