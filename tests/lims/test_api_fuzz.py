"""Schemathesis against API v1's own OpenAPI document: generated calls never get a 5xx, and every answer fits the
schema the document declares (status, content type, body).

On PostgreSQL every operation is called with a token of each role, over a small world of records (an enterprise with
instruments, a request, a job, a standard), a few examples each; on SQLite a smoke subset (the reads, as a manager).
"""

from datetime import date

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from lims.auth.permissions import ROLES, SYSTEM
from lims.auth.tokens import create_token
from lims.customers.models import Instrument, InstrumentType
from lims.jobs.models import Job, ServiceRequest, ServiceRequestItem
from lims.standards.models import Standard

CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance]
EXAMPLES = 4  # per operation and role: the run stays well under a minute per role on PostgreSQL
SMOKE_ROLE = "manager"



@pytest.fixture(params=ROLES)
def role(request) -> str:
    return request.param


@pytest.fixture()
def caller(request, backend, role, session, make_user, make_organisation) -> dict:
    """A small world, and the headers of a write token of the role (SQLite: the smoke role only)."""
    if backend == "sqlite" and role != SMOKE_ROLE:
        pytest.skip("the full schemathesis run is on PostgreSQL; SQLite runs the smoke subset")
    customer = make_organisation("Công ty Thử API")
    scale = InstrumentType(code="can-ban", name_vi="Cân bàn", name_en="Platform scale",
                           procedure_keys="scale-verification-r76")  # fmt: skip
    session.add(scale)
    session.flush()
    instrument = Instrument(organisation_id=customer.id, instrument_type_id=scale.id, serial="FUZZ-1", unit="kg",
                            next_due_on=date(2026, 12, 20))  # fmt: skip
    session.add(instrument)
    session.flush()
    service_request = ServiceRequest(number="YC2026-00001", organisation_id=customer.id,
                                     requested_on=date(2026, 12, 1), status="accepted")  # fmt: skip
    session.add(service_request)
    session.flush()
    session.add(ServiceRequestItem(request_id=service_request.id, instrument_id=instrument.id, service="calibration",
                                   procedure_key="scale-verification-r76"))  # fmt: skip
    session.add(Job(number="CV-1", request_id=service_request.id, instrument_id=instrument.id,
                    service="periodic_verification", procedure_key="scale-verification-r76",
                    received_on=date(2026, 12, 1)))  # fmt: skip
    session.add(Standard(code="QC-1", name="Bộ quả cân", kind="weight_set", due_on=date(2027, 1, 1)))
    user = make_user(role, organisation=customer if role == "enterprise" else None)
    secret = create_token(session, SYSTEM, user, name="fuzz", scope="write", days=1).secret
    session.commit()
    return {"role": role, "headers": {"Authorization": f"Bearer {secret}"}}


def test_the_api_answers_every_generated_call_within_its_document(app_context, backend, caller):
    # Each operation's cases are drawn by Hypothesis from the document (schemathesis' lazy pytest loader does not
    # run under this pytest, so the operations are walked here); every failure is collected, then reported at once.
    loaded = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", app_context)
    if backend == "sqlite":
        loaded = loaded.include(method="GET")
    failures, calls, operations = [], {"count": 0}, 0
    for result in loaded.get_all_operations():
        operation = result.ok()
        operations += 1

        @settings(max_examples=EXAMPLES, deadline=None, derandomize=True, database=None,
                  suppress_health_check=list(HealthCheck))  # fmt: skip
        @given(case=operation.as_strategy())
        def call(case):
            calls["count"] += 1
            case.call_and_validate(headers=caller["headers"], checks=CHECKS)

        try:
            call()
        except Exception as exc:  # noqa: BLE001  (collected: one operation's failure must not hide the others)
            failures.append(f"{operation.label}: {exc}")
    print(f"schemathesis {backend} {caller['role']}: {calls['count']} calls over {operations} operations")
    assert calls["count"] > 0
    assert failures == [], "\n\n".join(failures)
