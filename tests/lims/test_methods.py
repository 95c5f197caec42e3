"""ĐLVN methods as data: each instrument type lists the methods it allows, contract review picks one, the job and
its certificate carry it, and a seeded (unconfirmed) method blocks certification until a manager confirms it.

The review's case: a 60 kg platform scale was verified "by ĐLVN 16:2021", the method for analytical and technical
balances, because the procedure's first seed method was printed for every R 76 job. The catalogue now allows
ĐLVN 14:2009 (platform scales) and ĐLVN 15:2009 (pan scales) for the platform/pan type, ĐLVN 30:2019 alone for
spring dial scales.
"""

import pytest
from sqlalchemy import select

from lims.audit.models import AuditEvent
from lims.auth.permissions import SYSTEM
from lims.core.errors import PermissionDenied, RuleViolation
from lims.customers import services as catalogue_services
from lims.customers.models import Instrument, InstrumentType, Method
from lims.jobs import second_look, services


@pytest.fixture()
def lab(session, make_user, make_organisation):
    catalogue_services.seed_catalogue(session, SYSTEM)
    types = {t.code: t for t in session.scalars(select(InstrumentType))}
    enterprise = make_organisation("Chợ Vĩnh Long")
    platform = Instrument(
        organisation=enterprise,
        instrument_type=types["scale-platform"],
        serial="NHB-60-01",
        range_max=60,
        unit="kg",
        verification_interval=0.02,
        accuracy_class="III",
    )
    spring = Instrument(organisation=enterprise, instrument_type=types["scale-spring-dial"], serial="NHS-30-01")
    session.add_all([platform, spring])
    session.flush()
    return {
        "manager": make_user("manager"),
        "technician": make_user("technician"),
        "enterprise": enterprise,
        "platform": platform,
        "spring": spring,
        "types": types,
    }


def request_for(session, lab, instrument, **item):
    return services.create_request(
        session,
        lab["manager"],
        organisation_id=lab["enterprise"].id,
        items=[services.RequestItem(lab[instrument].id, "periodic_verification", "scale-verification-r76", **item)],
    )


def test_the_catalogue_seeds_the_scale_methods_unconfirmed_with_the_types_that_allow_them(session, lab):
    methods = {m.code: m for m in session.scalars(select(Method))}
    assert {"ĐLVN 14:2009", "ĐLVN 15:2009", "ĐLVN 30:2019"} <= set(methods)
    assert not any(methods[code].confirmed for code in ("ĐLVN 14:2009", "ĐLVN 15:2009", "ĐLVN 30:2019"))
    assert [m.code for m in lab["types"]["scale-platform"].methods] == ["ĐLVN 14:2009", "ĐLVN 15:2009"]
    assert [m.code for m in lab["types"]["scale-spring-dial"].methods] == ["ĐLVN 30:2019"]
    assert methods["ĐLVN 14:2009"].procedures == ["scale-verification-r76"]
    catalogue_services.seed_catalogue(session, SYSTEM)  # twice: nothing added
    assert session.scalar(select(Method).where(Method.code == "ĐLVN 14:2009")) is methods["ĐLVN 14:2009"]


def test_contract_review_must_pick_among_the_methods_the_type_allows(session, lab):
    request = request_for(session, lab, "platform")
    assert request.items[0].method_code is None  # two allowed: the request leaves it to contract review
    with pytest.raises(RuleViolation) as refused:
        services.accept_request(session, lab["manager"], request)
    assert refused.value.field == "items[0].method_id" and "ĐLVN 14:2009" in refused.value.message
    balances = session.scalar(select(Method).where(Method.code == "ĐLVN 16:2021"))
    with pytest.raises(RuleViolation) as refused:
        services.accept_request(session, lab["manager"], request, methods={request.items[0].id: balances.id})
    assert refused.value.field == "items[0].method_id"  # the analytical-balance method is not a platform scale's
    pan = session.scalar(select(Method).where(Method.code == "ĐLVN 15:2009"))
    (job,) = services.accept_request(session, lab["manager"], request, methods={request.items[0].id: pan.id})
    assert (job.method, job.method_code, job.method_name) == (pan, "ĐLVN 15:2009", "Cân đĩa - Quy trình kiểm định")
    assert services.procedure_for(job).method.code == "ĐLVN 15:2009"  # the record and certificate carry it


def test_a_type_allowing_one_method_gets_it_at_request(session, lab):
    request = request_for(session, lab, "spring")
    assert request.items[0].method_code == "ĐLVN 30:2019"
    with pytest.raises(RuleViolation) as refused:
        request_for(session, lab, "spring", method_code="ĐLVN 16:2021")
    assert refused.value.field == "items[0].method_id"


def test_an_unconfirmed_method_blocks_certification_until_a_manager_confirms_it(session, lab):
    (job,) = services.accept_request(session, lab["manager"], request_for(session, lab, "spring"))
    with pytest.raises(RuleViolation) as refused:
        second_look.ensure_certifiable(job)
    assert refused.value.field == "method" and "ĐLVN 30:2019" in refused.value.message
    with pytest.raises(PermissionDenied):
        catalogue_services.confirm_method(session, lab["technician"], job.method, reason="x")
    with pytest.raises(RuleViolation):
        catalogue_services.confirm_method(session, lab["manager"], job.method, reason=" ")
    catalogue_services.confirm_method(session, lab["manager"], job.method, reason="ĐLVN 30:2019, bản ban hành 2019")
    session.commit()
    second_look.ensure_certifiable(job)
    event = session.scalars(
        select(AuditEvent)
        .where(AuditEvent.entity == "method", AuditEvent.entity_id == str(job.method_id))
        .order_by(AuditEvent.seq.desc())
        .limit(1)
    ).one()
    assert event.reason == "ĐLVN 30:2019, bản ban hành 2019"


def test_a_manager_confirms_a_method_on_the_catalogue_page(session, lab, client, login):
    session.commit()
    login("manager")
    page = client.get("/customers/types").get_data(as_text=True)
    assert 'data-method="ĐLVN 14:2009"' in page and 'data-testid="method-confirm"' in page
    method = session.scalar(select(Method).where(Method.code == "ĐLVN 14:2009"))
    response = client.post(f"/customers/methods/{method.id}/confirm", data={"reason": "Đối chiếu bản gốc"})
    assert response.status_code == 302
    session.expire_all()
    assert session.get(Method, method.id).confirmed is True
