"""Fill the certificate dataclass of certificates/ from a job, its records, its standards and the lab's settings."""

import dataclasses
from datetime import date
from typing import Any

from flask import current_app
from sqlalchemy import select
from sqlalchemy.orm import Session

from certificates import document as doc
from instruments.formatting import format_cell, format_coverage_factor, format_probability, table_cells
from lims.auth.models import User
from lims.jobs.models import Job, MeasurementRecord, VerifierCard
from lims.standards.models import StandardCalibration

# The certificate glosses the title in English itself ("Authorised signatory").
SIGNATORY_TITLE = "Người được ủy quyền ký"
CONDITION_LABELS = {
    # key in MeasurementRecord.conditions: (Vietnamese, English, unit)
    "temperature": ("Nhiệt độ", "Temperature", "°C"),
    "humidity": ("Độ ẩm tương đối", "Relative humidity", "%"),
    "relative_humidity": ("Độ ẩm tương đối", "Relative humidity", "%"),
    "pressure": ("Áp suất không khí", "Air pressure", "hPa"),
}


def lab_snapshot() -> dict[str, str]:
    """Return the lab's identity as configured today: copied onto each certificate at issue."""
    config = current_app.config
    return {
        "name": config["LAB_NAME"],
        "name_en": config["LAB_NAME_EN"],
        "short_name": config["LAB_SHORT_NAME"],
        "address": config["LAB_ADDRESS"],
        "registration_number": config["LAB_REGISTRATION_NUMBER"],
        "province": config["LAB_PROVINCE"],
        "parent_body": config["LAB_PARENT_BODY"],
        "unit_code": config["LAB_UNIT_CODE"],
    }


def kind_of(job: Job) -> doc.Kind:
    return doc.Kind.CALIBRATION if job.service == "calibration" else doc.Kind.VERIFICATION


def current_records(job: Job) -> dict[str, MeasurementRecord]:
    """Return the newest revision of each stage's record (as_found, as_left) of a job."""
    newest: dict[str, MeasurementRecord] = {}
    for record in job.records:
        if record.superseded:
            continue
        if record.stage not in newest or record.revision > newest[record.stage].revision:
            newest[record.stage] = record
    return newest


def final_record(job: Job) -> MeasurementRecord | None:
    """Return the record whose results the certificate states: as left if the item was adjusted or measured so."""
    records = current_records(job)
    return records.get("as_left") or records.get("as_found")


def _number(value: Any) -> str:
    # One writer of numbers for the whole certificate (decimal comma, no float noise): instruments.formatting.
    return format_cell(value)


def _tables(result: dict[str, Any], conformity: bool = True) -> list[doc.ResultTable]:
    """Return the result tables as printed; a conformity column only where a statement of conformity was asked."""
    tables = []
    for table in result.get("tables") or []:
        shown = [c for c in table["columns"] if conformity or c.get("printed") != "conformity"]
        columns = tuple(
            doc.Column(c.get("heading_vi", c["key"]), c.get("heading_en", ""), c.get("unit") or "") for c in shown
        )
        rows = tuple(tuple(cells) for cells in table_cells({**table, "columns": shown}))
        tables.append(
            doc.ResultTable(
                columns=columns, rows=rows, title_vi=table.get("title_vi", ""), title_en=table.get("title_en", "")
            )
        )
    return tables


def _conditions(conditions: dict[str, Any]) -> tuple[doc.Condition, ...]:
    out = []
    for key, value in (conditions or {}).items():
        vi, en, unit = CONDITION_LABELS.get(key, (key, key, ""))
        if isinstance(value, dict):
            shown = _number(value.get("value"))
            if value.get("uncertainty") is not None:
                shown = f"({shown} ± {_number(value['uncertainty'])})"
            unit = value.get("unit", unit)
        else:
            shown = _number(value)
        out.append(doc.Condition(vi, en, f"{shown} {unit}".strip()))
    return tuple(out)


def _standards(session: Session, job: Job) -> tuple[doc.StandardUsed, ...]:
    used = []
    for link in sorted(job.standards_used, key=lambda item: item.standard.code):
        calibration = session.get(StandardCalibration, link.calibration_id) if link.calibration_id else None
        if calibration is None:
            calibration = session.scalar(
                select(StandardCalibration)
                .where(StandardCalibration.standard_id == link.standard_id)
                .where(StandardCalibration.calibrated_on <= link.used_on)
                .order_by(StandardCalibration.calibrated_on.desc())
                .limit(1)
            )
        trace = ""
        if calibration is not None:
            trace = calibration.traceability or ""
            trace = f"{calibration.calibrating_lab}" + (f" — {trace}" if trace else "")
        used.append(
            doc.StandardUsed(
                name=link.standard.name,
                serial=link.standard.serial or link.standard.code,
                certificate_number=calibration.certificate_number if calibration else "",
                due_date=calibration.due_on if calibration else (link.standard.due_on or link.used_on),
                traceability=trace,
            )
        )
    return tuple(used)


def _nominals(values: dict[str, Any]) -> tuple[str, ...]:
    """Return the nominal values of the weights a result states (one, or one per weight of AB1...BnA)."""
    if values.get("nominal"):
        return (format_cell(values["nominal"]),)
    return tuple(
        format_cell(w["nominal"]) for w in values.get("weights") or () if isinstance(w, dict) and w.get("nominal")
    )


def _instrument(job: Job, nominals: tuple[str, ...] = ()) -> doc.Instrument:
    item = job.instrument
    unit = item.unit or ""
    measuring_range = ""
    if nominals:
        # A weight is a material measure: it has a nominal value, not a measuring range "(0 ÷ 0,5) kg".
        measuring_range = ""
    elif item.range_max is not None:
        low = _number(item.range_min if item.range_min is not None else 0.0)
        measuring_range = f"({low} ÷ {_number(item.range_max)}) {unit}".strip()
    resolution = ""
    if item.verification_interval is not None:
        resolution = f"e = {_number(item.verification_interval)} {unit}"
    if item.resolution is not None:
        resolution = (resolution + "; " if resolution else "") + f"d = {_number(item.resolution)} {unit}"
    kind = item.instrument_type
    return doc.Instrument(
        # the catalogue's English name glosses the Vietnamese; "Loại" is left for a type designation
        name=f"{kind.name_vi} / {kind.name_en}" if kind.name_en else kind.name_vi,
        type="",
        maker=item.maker or "",
        country=item.country or "",
        model=item.model or "",
        serial=item.serial,
        measuring_range=measuring_range,
        nominal="; ".join(nominals),
        resolution=resolution.strip(),
        # A class written as a number ("0.5", "1.6") is a number on paper: "0,5"; "M1" and "III" stay as they are.
        accuracy_class=_number(item.accuracy_class) if item.accuracy_class else "",
    )


def _verifier(session: Session, job: Job, on: date) -> doc.Verifier:
    person = job.measured_by or job.technician
    if person is None:
        return doc.Verifier(name="")
    card = session.scalar(
        select(VerifierCard)
        .where(VerifierCard.user_id == person.id, VerifierCard.valid_from <= on)
        .where((VerifierCard.valid_until.is_(None)) | (VerifierCard.valid_until >= on))
        .order_by(VerifierCard.valid_from.desc())
        .limit(1)
    )
    return doc.Verifier(name=person.full_name, card_number=card.card_number if card else "")


def conformity_specification(job: Job) -> str | None:
    """Return the specification a calibration certificate states conformity against, or None for no statement.

    ISO/IEC 17025 7.1.3 and 7.8.6: a calibration states conformity only when the customer asked for it, recorded at
    contract review with the specification (e.g. "OIML R 111-1, cấp M1") and the decision rule agreed.
    """
    request = job.request
    if not request.wants_conformity_statement:
        return None
    return (request.conformity_specification or "").strip() or None


def _decision(
    kind: doc.Kind, passed: bool | None, rule: dict[str, Any], specification: str | None
) -> doc.Decision | None:
    """Return the conclusion printed: the legal wording of a verification, or a calibration's statement of conformity
    against its named specification; a calibration nobody asked a statement of, or without tolerance, has none."""
    rule_texts = {"rule_vi": rule.get("text_vi", ""), "rule_en": rule.get("text_en", "")}
    if kind is doc.Kind.VERIFICATION:
        return doc.Decision(passed=bool(passed), **rule_texts)
    if specification is None or passed is None:
        return None
    if passed:
        return doc.Decision(
            passed=True,
            statement_vi=f"Phù hợp với {specification}",
            statement_en=f"Conforms to {specification}",
            **rule_texts,
        )
    return doc.Decision(
        passed=False,
        statement_vi=f"Không phù hợp với {specification} (điều kiện không đạt ghi ở bảng kết quả)",
        statement_en=f"Does not conform to {specification} (the condition not met is given in the results)",
        **rule_texts,
    )


def coverage_statement(result: dict[str, Any]) -> doc.Uncertainty | None:
    """Return the coverage statement of the result printed: its k and coverage probability, not a default.

    The k are those of the table rows (a column printed as a coverage factor), else the result's own; when they
    differ between rows once written with three significant digits (cg-18 with few readings: 3,71; 5,84; 4,03) the
    sentence says each row carries its k. No k anywhere: no statement rather than a guess.
    """
    values = result.get("values") or {}
    shown: list[str] = []
    for table in result.get("tables") or []:
        for column in table.get("columns") or []:
            if column.get("printed") == "coverage_factor" or column.get("key") == "coverage_factor":
                shown += [
                    format_coverage_factor(row[column["key"]])
                    for row in table.get("rows") or []
                    if row.get(column["key"]) is not None
                ]
    if not shown and values.get("coverage_factor") is not None:
        shown = [format_coverage_factor(values["coverage_factor"])]
    if not shown:
        return None
    probability = values.get("coverage_probability")
    if probability is None:
        probability = next(
            (w.get("coverage_probability") for w in values.get("weights") or () if isinstance(w, dict)), None
        )
    percent = format_probability(probability) if probability is not None else "95"
    if len(set(shown)) > 1:
        return doc.Uncertainty(coverage_factor="", coverage_probability_percent=percent, per_row=True)
    return doc.Uncertainty(coverage_factor=shown[0], coverage_probability_percent=percent)


def build_certificate(
    session: Session,
    job: Job,
    *,
    number: str,
    issued: date,
    signatory: User,
    lab: dict[str, str],
    verification_url: str,
    verification_code: str,
    sticker_serial: str | None = None,
    valid_until: date | None = None,
    revision: int = 0,
    supersedes: str | None = None,
    remarks: tuple[str, ...] = (),
) -> doc.Certificate:
    """Return the certificate document of a reviewed job, as it will be printed."""
    kind = kind_of(job)
    record = final_record(job)
    result = record.result if record else {}
    records = current_records(job)
    specification = conformity_specification(job)
    states_conformity = kind is doc.Kind.VERIFICATION or specification is not None
    as_found = as_left = None
    if job.adjusted and "as_found" in records and "as_left" in records:
        found_tables = _tables(records["as_found"].result, states_conformity)
        left_tables = _tables(records["as_left"].result, states_conformity)
        if found_tables and left_tables:
            as_found, as_left = found_tables[0], left_tables[0]
    passed = job.passed if job.passed is not None else (record.passed if record else None)
    decision = _decision(kind, passed, result.get("decision_rule") or {}, specification)
    values = result.get("values") or {}
    uncertainty = coverage_statement(result) if kind is doc.Kind.CALIBRATION else None
    method = result.get("method") or {}
    notice = (result.get("values") or {}).get("failure_notice")
    if passed is False and notice:
        # The procedure's own wording of what a failed verification means for the instrument.
        remarks = (*remarks, f"{notice['vi']} / {notice['en']}" if notice.get("en") else notice["vi"])
    request = job.request
    on_site = job.place == "on_site"
    measured = job.measured_on or (record.measured_on if record else job.received_on)
    return doc.Certificate(
        kind=kind,
        number=number,
        lab=doc.Lab(
            name=lab["name"],
            address=lab["address"],
            registration_number=lab["registration_number"],
            province=lab["province"],
            parent_body=lab["parent_body"],
            short_name=lab.get("short_name", ""),
        ),
        customer=doc.Customer(name=request.organisation.name, address=request.organisation.address or ""),
        instrument=_instrument(job, _nominals(values)),
        method=doc.Method(
            code=job.method_code or method.get("code", ""), name=job.method_name or method.get("name_vi", "")
        ),
        received=job.received_on,
        measured=measured,
        issued=issued,
        place=doc.Place(
            on_site=on_site,
            address=(request.site_address or request.organisation.address or "") if on_site else lab["address"],
        ),
        verifier=_verifier(session, job, measured),
        signatory=doc.Signatory(name=signatory.full_name, title=SIGNATORY_TITLE),
        verification_url=verification_url,
        verification_code=verification_code,
        revision=revision,
        supersedes=supersedes,
        conditions=_conditions(record.conditions if record else {}),
        standards=_standards(session, job),
        results=tuple(_tables(result, states_conformity)),
        uncertainty=uncertainty,
        as_found=as_found,
        as_left=as_left,
        decision=decision,
        sticker_serial=sticker_serial if kind is doc.Kind.VERIFICATION else None,
        valid_until=valid_until if kind is doc.Kind.VERIFICATION else None,
        remarks=tuple(remarks),
    )


def as_json(certificate: doc.Certificate) -> dict[str, Any]:
    """Return the document as JSON-ready data (stored on the certificate row as what was printed)."""

    def convert(value):
        if isinstance(value, date):
            return value.isoformat()
        if isinstance(value, dict):
            return {k: convert(v) for k, v in value.items()}
        if isinstance(value, list | tuple):
            return [convert(v) for v in value]
        return value

    return convert(dataclasses.asdict(certificate))
