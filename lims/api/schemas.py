"""The shapes of the API's bodies (marshmallow): they validate what comes in and describe, in the OpenAPI document,
what goes out. Names are the models' own; days are ISO dates, moments ISO date-times with their zone."""

from marshmallow import EXCLUDE, RAISE, Schema, fields, validate

from lims.jobs.models import JOB_STATES, SERVICES
from lims.jobs.queries import REQUEST_STATUSES
from lims.portal.status import STATUSES

TEXT = validate.Length(max=200)


class Out(Schema):
    """A body the API sends: every field is present (null when unknown)."""

    class Meta:
        ordered = True
        unknown = EXCLUDE


class In(Schema):
    """A body the API reads: a field it does not know is refused by name (a typo must not pass silently)."""

    class Meta:
        ordered = True
        unknown = RAISE


class OrganisationOut(Out):
    id = fields.Integer(required=True)
    kind = fields.String(required=True, metadata={"description": "lab, enterprise or agency"})
    name = fields.String(required=True)
    tax_code = fields.String(allow_none=True)
    address = fields.String(allow_none=True)
    province = fields.String(allow_none=True)
    email = fields.String(allow_none=True)
    phone = fields.String(allow_none=True)


class InstrumentTypeOut(Out):
    id = fields.Integer(required=True)
    code = fields.String(required=True)
    name_vi = fields.String(required=True)
    name_en = fields.String(allow_none=True)


class InstrumentOut(Out):
    id = fields.Integer(required=True)
    label_code = fields.String(required=True, metadata={"description": "the code on the instrument's label"})
    organisation_id = fields.Integer(required=True)
    instrument_type = fields.Nested(InstrumentTypeOut, required=True)
    serial = fields.String(required=True)
    maker = fields.String(allow_none=True)
    country = fields.String(allow_none=True)
    model = fields.String(allow_none=True)
    range_min = fields.Float(allow_none=True)
    range_max = fields.Float(allow_none=True)
    unit = fields.String(allow_none=True)
    resolution = fields.Float(allow_none=True)
    verification_interval = fields.Float(allow_none=True)
    accuracy_class = fields.String(allow_none=True)
    location = fields.String(allow_none=True)
    last_service_on = fields.Date(allow_none=True)
    last_service_kind = fields.String(allow_none=True)
    next_due_on = fields.Date(allow_none=True)
    active = fields.Boolean(required=True)
    status = fields.Method(
        "_status",
        required=True,
        metadata={
            "type": "string",
            "enum": list(STATUSES),
            "description": "today's standing: in the lab, being measured, failed, overdue, due within 30/60/90 "
            "days, valid, or no due date",
        },
    )

    statuses: dict[int, str] = {}  # set by the resource for the rows it dumps (lims.portal.status)

    def _status(self, instrument) -> str:
        return self.statuses.get(instrument.id, "unknown")


def _positive(**options):
    return fields.Float(allow_none=True, validate=validate.Range(min=0, min_inclusive=False), **options)


class InstrumentIn(In):
    """An instrument to register (an enterprise registers its own; the lab names the enterprise)."""

    organisation_id = fields.Integer(
        validate=validate.Range(min=1), metadata={"description": "the owner; an enterprise's user may leave it out"}
    )
    instrument_type_id = fields.Integer(validate=validate.Range(min=1, max=2**31 - 1))
    type_code = fields.String(validate=TEXT, metadata={"description": "the type's code, instead of its id"})
    serial = fields.String(required=True, validate=validate.Length(min=1, max=100))
    maker = fields.String(allow_none=True, validate=TEXT)
    country = fields.String(allow_none=True, validate=validate.Length(max=100))
    model = fields.String(allow_none=True, validate=TEXT)
    range_min = fields.Float(allow_none=True, validate=validate.Range(min=-1e12, max=1e12))
    range_max = _positive()
    unit = fields.String(allow_none=True, validate=validate.Length(max=20))
    resolution = _positive()
    verification_interval = _positive()
    accuracy_class = fields.String(allow_none=True, validate=validate.Length(max=20))
    location = fields.String(allow_none=True, validate=validate.Length(max=300))


class InstrumentPatch(InstrumentIn):
    """The fields of an instrument to change; those left out keep their value."""

    serial = fields.String(validate=validate.Length(min=1, max=100))
    active = fields.Boolean()


class NewInstrumentIn(In):
    """An instrument described on a request, registered with it."""

    instrument_type_id = fields.Integer(validate=validate.Range(min=1, max=2**31 - 1))
    type_code = fields.String(validate=TEXT)
    serial = fields.String(required=True, validate=validate.Length(min=1, max=100))
    maker = fields.String(allow_none=True, validate=TEXT)
    model = fields.String(allow_none=True, validate=TEXT)
    range_max = _positive()
    unit = fields.String(allow_none=True, validate=validate.Length(max=20))
    verification_interval = _positive()
    accuracy_class = fields.String(allow_none=True, validate=validate.Length(max=20))


class RequestItemIn(In):
    """One line: an instrument of the enterprise, or a new one described; the lab confirms the procedure."""

    instrument_id = fields.Integer(validate=validate.Range(min=1, max=2**31 - 1))
    instrument = fields.Nested(NewInstrumentIn, metadata={"description": "a new instrument, instead of an id"})
    service = fields.String(validate=validate.OneOf(SERVICES), metadata={"description": "the usual one if left out"})
    procedure_key = fields.String(validate=TEXT, metadata={"description": "the only applicable one if left out"})


class RequestIn(In):
    organisation_id = fields.Integer(
        validate=validate.Range(min=1, max=2**31 - 1), metadata={"description": "an enterprise's user may leave it out"}
    )
    items = fields.List(fields.Nested(RequestItemIn), required=True, validate=validate.Length(min=1, max=100))
    place = fields.String(load_default="lab", validate=validate.OneOf(("lab", "on_site")))
    site_address = fields.String(allow_none=True, validate=validate.Length(max=500))
    wants_conformity_statement = fields.Boolean(load_default=False)
    preferred_on = fields.Date(allow_none=True, metadata={"description": "the day the enterprise would like"})
    contact_name = fields.String(allow_none=True, validate=TEXT)
    notes = fields.String(allow_none=True, validate=validate.Length(max=2000))


class CancelIn(In):
    reason = fields.String(allow_none=True, validate=validate.Length(max=500))


class RequestItemOut(Out):
    id = fields.Integer(required=True)
    instrument_id = fields.Integer(required=True)
    service = fields.String(required=True)
    procedure_key = fields.String(required=True)
    method_code = fields.String(allow_none=True)


class RequestOut(Out):
    id = fields.Integer(required=True)
    number = fields.String(required=True)
    organisation_id = fields.Integer(required=True)
    status = fields.String(required=True, validate=validate.OneOf(REQUEST_STATUSES))
    place = fields.String(required=True)
    site_address = fields.String(allow_none=True)
    wants_conformity_statement = fields.Boolean(required=True)
    requested_on = fields.Date(required=True)
    agreed_on = fields.Date(allow_none=True)
    contact_name = fields.String(allow_none=True)
    notes = fields.String(allow_none=True)
    review_notes = fields.String(allow_none=True)
    items = fields.List(fields.Nested(RequestItemOut), required=True)
    job_ids = fields.Method("_job_ids", required=True, metadata={"type": "array", "items": {"type": "integer"}})

    def _job_ids(self, request) -> list[int]:
        return [job.id for job in request.jobs]


class JobOut(Out):
    id = fields.Integer(required=True)
    number = fields.String(required=True)
    request_id = fields.Integer(required=True)
    instrument_id = fields.Integer(required=True)
    service = fields.String(required=True)
    procedure_key = fields.String(required=True)
    method_code = fields.String(allow_none=True)
    place = fields.String(required=True)
    status = fields.String(required=True, validate=validate.OneOf(JOB_STATES))
    scheduled_on = fields.Date(allow_none=True)
    received_on = fields.Date(required=True)
    measured_on = fields.Date(allow_none=True)
    passed = fields.Boolean(allow_none=True)


class CertificateOut(Out):
    id = fields.Integer(required=True)
    number = fields.String(required=True, attribute="display_number")
    revision = fields.Integer(required=True)
    kind = fields.String(required=True, metadata={"description": "verification or calibration"})
    status = fields.String(required=True, metadata={"description": "issued, superseded or revoked"})
    job_id = fields.Integer(required=True)
    organisation_id = fields.Integer(required=True)
    instrument_id = fields.Integer(required=True)
    customer_name = fields.String(required=True)
    instrument_summary = fields.String(required=True)
    issued_on = fields.Date(required=True)
    valid_until = fields.Date(allow_none=True)
    passed = fields.Boolean(allow_none=True)
    sticker_serial = fields.String(allow_none=True)
    pdf_sha256 = fields.String(required=True)
    pdf_size = fields.Integer(required=True)


class VerificationOut(Out):
    """What the public verification page says of a certificate."""

    number = fields.String(required=True)
    status = fields.String(required=True)
    genuine = fields.Boolean(required=True, metadata={"description": "the stored PDF matches its recorded SHA-256"})
    issued_on = fields.Date(required=True)
    valid_until = fields.Date(allow_none=True)
    superseded_by = fields.String(allow_none=True)
    verification_url = fields.String(required=True)


class StandardOut(Out):
    id = fields.Integer(required=True)
    code = fields.String(required=True)
    name = fields.String(required=True)
    kind = fields.String(required=True)
    level = fields.String(allow_none=True)
    accuracy_class = fields.String(allow_none=True)
    serial = fields.String(allow_none=True)
    status = fields.String(required=True)
    due_on = fields.Date(allow_none=True)
    location = fields.String(allow_none=True)


class ProblemField(Out):
    field = fields.String(required=True, metadata={"description": "the path of the field, e.g. items[2].serial"})
    message = fields.String(required=True)


class Problem(Out):
    """An error (RFC 9457, application/problem+json)."""

    type = fields.String(required=True)
    title = fields.String(required=True)
    status = fields.Integer(required=True)
    detail = fields.String(required=True)
    instance = fields.String()
    field = fields.String(allow_none=True, metadata={"description": "the field or argument at fault"})
    errors = fields.List(fields.Nested(ProblemField))
