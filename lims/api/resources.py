"""The API's resources: the caller's organisation, instruments, requests, jobs, certificates, standards, recall.

Each is a thin view over the same loaders, lists (lims.core.lists) and services as the pages: the same permission
checks, the same scope (an enterprise sees its own, an inspector reads), the same lab rules.
"""

from flask import jsonify, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from lims.api.blueprint import BodyInvalid, operation, read_body, refused_in_body
from lims.api.schemas import (
    CancelIn,
    CertificateOut,
    InstrumentIn,
    InstrumentOut,
    InstrumentPatch,
    JobOut,
    OrganisationOut,
    RequestIn,
    RequestOut,
    StandardOut,
    VerificationOut,
)
from lims.auth.permissions import Capability
from lims.core.dates import lab_today
from lims.core.errors import NotFound
from lims.core.exports import download
from lims.core.lists import fetch_page, parse_filters, parse_limit
from lims.customers import queries as customer_queries
from lims.customers import services as customer_services
from lims.extensions import db
from lims.issuing import archive, verification
from lims.issuing import queries as issuing_queries
from lims.issuing import services as issuing_services
from lims.issuing import views as issuing_views
from lims.jobs import queries as job_queries
from lims.jobs import services as job_services
from lims.portal.status import instrument_statuses
from lims.standards import queries as standard_queries


def _dumper(schema, items, many: bool):
    dumper = schema(many=many)
    if schema is InstrumentOut:  # each instrument's standing today, read for the whole page at once
        dumper.statuses = instrument_statuses(db.session, items if many else [items], lab_today())
    return dumper


def list_response(spec, schema):
    """Answer a list: its filters and page size read strictly (a bad one is a 400 naming it), cut by key."""
    filters = parse_filters(spec.filters, request.args, strict=True)
    limit = parse_limit(request.args, spec.per_page, strict=True)
    page = fetch_page(
        db.session, spec, current_user, filters, cursor=request.args.get("cursor"), limit=limit, strict=True
    )
    items = _dumper(schema, page.items, True).dump(page.items)
    return jsonify({"items": items, "next_cursor": page.next_cursor, "limit": limit})


def one(schema, item, status: int = 200):
    return jsonify(_dumper(schema, item, False).dump(item)), status


# --- the caller's organisation ---------------------------------------------------------------------------------


@operation(
    "GET", "/organisation", summary="The caller's organisation", tag="organisation",
    capability=Capability.READ_CUSTOMERS, response=OrganisationOut,
)  # fmt: skip
def organisation():
    """The organisation the calling account belongs to (404 for an account of none)."""
    if current_user.organisation_id is None:
        raise NotFound(_("Tài khoản này không thuộc doanh nghiệp nào."))
    found = customer_services.get_organisation(db.session, current_user, current_user.organisation_id)
    return one(OrganisationOut, found)


# --- instruments -----------------------------------------------------------------------------------------------


@operation(
    "GET", "/instruments", summary="List instruments", tag="instruments", capability=Capability.READ_CUSTOMERS,
    listing=customer_queries.INSTRUMENTS, response=InstrumentOut,
)  # fmt: skip
def instruments():
    """The instruments the caller may see: an enterprise its own, the lab and inspectors those of their scope."""
    return list_response(customer_queries.INSTRUMENTS, InstrumentOut)


@operation(
    "GET", "/instruments/<int:instrument_id>", summary="One instrument", tag="instruments",
    capability=Capability.READ_CUSTOMERS, response=InstrumentOut,
)  # fmt: skip
def instrument(instrument_id: int):
    return one(InstrumentOut, customer_services.get_instrument(db.session, current_user, instrument_id))


def _instrument_values(values: dict, prefix: str = "") -> dict:
    """Turn a body's instrument fields into the service's (the type by id or by code)."""
    values = dict(values)
    code = values.pop("type_code", None)
    if code is not None and "instrument_type_id" not in values:
        found = db.session.scalar(customer_queries.instrument_type_by_code(code))
        if found is None:
            raise BodyInvalid([{"field": f"{prefix}type_code", "message": _("Không có loại phương tiện đo này.")}])
        values["instrument_type_id"] = found.id
    return values


def _owner_id(values: dict, prefix: str = "") -> int:
    """The organisation a body names, or the caller's own when it names none."""
    organisation_id = values.pop("organisation_id", None) or current_user.organisation_id
    if not organisation_id:
        raise BodyInvalid([{"field": f"{prefix}organisation_id", "message": _("Cần chọn doanh nghiệp.")}])
    return organisation_id


def _register(values: dict, organisation, prefix: str):
    """Register an instrument, naming a refused field by its path in the body."""
    with refused_in_body(prefix):
        return customer_services.create_instrument(db.session, current_user, organisation, **values)


@operation(
    "POST", "/instruments", summary="Register an instrument", tag="instruments",
    capability=Capability.REGISTER_INSTRUMENTS, body=InstrumentIn, response=InstrumentOut, status=201,
)  # fmt: skip
def instrument_create():
    """Register an instrument: an enterprise's user its own organisation's, the lab any enterprise's."""
    values = _instrument_values(read_body(InstrumentIn))
    owner = customer_services.get_organisation(db.session, current_user, _owner_id(values))
    if "instrument_type_id" not in values:
        raise BodyInvalid([{"field": "instrument_type_id", "message": _("Cần chọn loại phương tiện đo.")}])
    return one(InstrumentOut, _register(values, owner, ""), 201)


@operation(
    "PATCH", "/instruments/<int:instrument_id>", summary="Change an instrument", tag="instruments",
    capability=Capability.REGISTER_INSTRUMENTS, body=InstrumentPatch, response=InstrumentOut,
)  # fmt: skip
def instrument_update(instrument_id: int):
    """Change an instrument's description or location; the fields left out keep their value."""
    item = customer_services.get_instrument(db.session, current_user, instrument_id)
    values = _instrument_values(read_body(InstrumentPatch))
    if values.pop("organisation_id", None) not in (None, item.organisation_id):
        raise BodyInvalid([{"field": "organisation_id", "message": _("Không đổi được chủ sở hữu.")}])
    with refused_in_body():
        customer_services.update_instrument(db.session, current_user, item, **values)
    return one(InstrumentOut, item)


# --- requests --------------------------------------------------------------------------------------------------


@operation(
    "GET", "/requests", summary="List service requests", tag="requests", capability=Capability.READ_REQUESTS,
    listing=job_queries.REQUESTS, response=RequestOut,
)  # fmt: skip
def requests_list():
    return list_response(job_queries.REQUESTS, RequestOut)


@operation(
    "GET", "/requests/<int:request_id>", summary="One service request", tag="requests",
    capability=Capability.READ_REQUESTS, response=RequestOut,
)  # fmt: skip
def request_detail(request_id: int):
    return one(RequestOut, job_queries.load_request(db.session, current_user, request_id))


@operation(
    "POST", "/requests", summary="Request verification or calibration", tag="requests",
    capability=Capability.SUBMIT_REQUESTS, body=RequestIn, response=RequestOut, status=201,
)  # fmt: skip
def request_create():
    """Request service for instruments of the enterprise, known ones by id or new ones described (registered with
    the request). The lab decides procedure, method, decision rule and date at contract review, as for a request
    made on its pages: this is the same request service."""
    body = read_body(RequestIn)
    organisation = customer_services.get_organisation(db.session, current_user, _owner_id(body))
    items = []
    for index, line in enumerate(body["items"]):
        prefix = f"items[{index}]."
        instrument_id = line.get("instrument_id")
        described = line.get("instrument")
        if bool(instrument_id) == bool(described):
            message = _("Cần một trong hai: instrument_id hoặc instrument.")
            raise BodyInvalid([{"field": f"items[{index}]", "message": message}])
        if described:
            values = _instrument_values(described, f"{prefix}instrument.")
            if "instrument_type_id" not in values:
                message = _("Cần chọn loại phương tiện đo.")
                raise BodyInvalid([{"field": f"{prefix}instrument.type_code", "message": message}])
            instrument_id = _register(values, organisation, f"{prefix}instrument.").id
        item = job_services.RequestItem(instrument_id, line.get("service", ""), line.get("procedure_key", ""))
        items.append(job_services.complete_item(db.session, current_user, item))
    created = job_services.create_request(
        db.session,
        current_user,
        organisation_id=organisation.id,
        items=items,
        place=body["place"],
        site_address=body.get("site_address"),
        wants_conformity_statement=body["wants_conformity_statement"],
        preferred_on=body.get("preferred_on"),
        contact_name=body.get("contact_name"),
        notes=body.get("notes"),
    )
    response, status = one(RequestOut, created, 201)
    response.headers["Location"] = url_for("api.request_detail", request_id=created.id)
    return response, status


@operation(
    "POST", "/requests/<int:request_id>/cancel", summary="Cancel a request not yet reviewed", tag="requests",
    capability=Capability.SUBMIT_REQUESTS, body=CancelIn, response=RequestOut,
)  # fmt: skip
def request_cancel(request_id: int):
    found = job_queries.load_request(db.session, current_user, request_id)
    body = read_body(CancelIn) if request.content_length else {}
    return one(RequestOut, job_services.cancel_request(db.session, current_user, found, reason=body.get("reason")))


# --- jobs ------------------------------------------------------------------------------------------------------


@operation(
    "GET", "/jobs", summary="List jobs", tag="jobs", capability=Capability.READ_JOBS, listing=job_queries.JOBS,
    response=JobOut,
)  # fmt: skip
def jobs_list():
    return list_response(job_queries.JOBS, JobOut)


@operation(
    "GET", "/jobs/<int:job_id>", summary="One job", tag="jobs", capability=Capability.READ_JOBS, response=JobOut
)
def job_detail(job_id: int):
    return one(JobOut, job_queries.load_job(db.session, current_user, job_id))


# --- certificates ----------------------------------------------------------------------------------------------


@operation(
    "GET", "/certificates", summary="List certificates", tag="certificates",
    capability=Capability.READ_CERTIFICATES, listing=issuing_queries.CERTIFICATES, response=CertificateOut,
)  # fmt: skip
def certificates_list():
    return list_response(issuing_queries.CERTIFICATES, CertificateOut)


@operation(
    "GET", "/certificates/archive", summary="All certificates of the list in one ZIP", tag="certificates",
    capability=Capability.READ_CERTIFICATES, listing=issuing_queries.CERTIFICATES, media_type="application/zip",
    errors=(400, 401, 403, 422),
)  # fmt: skip
def certificates_archive():
    """The PDFs, as issued, of the certificates the list's filters select (revoked ones left out, at most 500),
    with manifest.csv giving each file's number, dates and SHA-256."""
    filters = parse_filters(issuing_queries.CERTIFICATES.filters, request.args, strict=True)
    data = archive.certificates_zip(db.session, current_user, filters, lab_today())
    return download(data, "application/zip", f"certificates-{lab_today():%Y%m%d}.zip")


@operation(
    "GET", "/certificates/<int:certificate_id>", summary="One certificate's metadata", tag="certificates",
    capability=Capability.READ_CERTIFICATES, response=CertificateOut,
)  # fmt: skip
def certificate_detail(certificate_id: int):
    return one(CertificateOut, issuing_queries.get_certificate(db.session, current_user, certificate_id))


@operation(
    "GET", "/certificates/<int:certificate_id>/pdf", summary="The certificate's PDF, as issued", tag="certificates",
    capability=Capability.READ_CERTIFICATES, media_type="application/pdf",
)  # fmt: skip
def certificate_pdf(certificate_id: int):
    """The stored, signed bytes (a revoked certificate's marked as revoked), as the page's download."""
    return issuing_views.certificate_pdf.__wrapped__(certificate_id)


@operation(
    "GET", "/certificates/<int:certificate_id>/dcc", summary="The certificate's DCC (XML), as issued",
    tag="certificates", capability=Capability.READ_CERTIFICATES, media_type="application/xml",
)  # fmt: skip
def certificate_dcc(certificate_id: int):
    """A certificate's DCC is machine-readable by nature: the same stored bytes as the page's download."""
    return issuing_views.certificate_dcc.__wrapped__(certificate_id)


@operation(
    "GET", "/certificates/<int:certificate_id>/verification", summary="Verify a certificate", tag="certificates",
    capability=Capability.READ_CERTIFICATES, response=VerificationOut,
)  # fmt: skip
def certificate_verification(certificate_id: int):
    """What the public verification page says of it: genuine, superseded (by which) or revoked."""
    found = issuing_queries.get_certificate(db.session, current_user, certificate_id)
    verdict = verification.verdict_for(db.session, found)
    return jsonify(
        VerificationOut().dump(
            {
                "number": found.display_number,
                "status": verdict.outcome,
                "genuine": verdict.outcome == "genuine",
                "issued_on": found.issued_on,
                "valid_until": found.valid_until,
                "superseded_by": verdict.replaced_by.display_number if verdict.replaced_by else None,
                "verification_url": issuing_services.verification_url(found.token),
            }
        )
    )


# --- the lab's own: standards and recall -----------------------------------------------------------------------


@operation(
    "GET", "/standards", summary="List reference standards", tag="standards", capability=Capability.READ_STANDARDS,
    listing=standard_queries.STANDARDS, response=StandardOut,
)  # fmt: skip
def standards_list():
    """The lab's reference standards and equipment (lab staff and inspectors)."""
    standard_queries.ensure_may_read(current_user)
    return list_response(standard_queries.STANDARDS, StandardOut)


@operation(
    "GET", "/standards/<int:standard_id>", summary="One reference standard", tag="standards",
    capability=Capability.READ_STANDARDS, response=StandardOut,
)  # fmt: skip
def standard_detail(standard_id: int):
    standard_queries.ensure_may_read(current_user)
    return one(StandardOut, standard_queries.get_standard(db.session, current_user, standard_id))


@operation(
    "GET", "/recall", summary="Instruments due or overdue", tag="recall", capability=Capability.READ_JOBS,
    listing=customer_queries.RECALL, response=InstrumentOut,
)  # fmt: skip
def recall():
    """The recall list (lab staff and inspectors): instruments overdue or due within `days`, soonest first."""
    return list_response(customer_queries.RECALL, InstrumentOut)


