"""No page, export or download shows another organisation's data to an enterprise user or a limited inspector.

The demo world holds several enterprises with instruments, requests, jobs, records, certificates, complaints and
training. An inspector limited to one enterprise and that enterprise's own user walk every readable route of the
URL map, with the ids of every kind of record of their organisation and of the others (and with
``?organisation_id=`` of another), and look for the other organisations' names, tax codes, serials and certificate
numbers in the HTML, CSV, XLSX, ZIP and PDF they receive.
"""

import io
import zipfile

import pytest
from sqlalchemy import select

from lims.audit.scope import organisation_paths, owned_rows
from lims.auth.models import InspectorScope, User
from lims.customers.models import Instrument, Organisation
from lims.demo import DEMO_PASSWORD, load_demo
from lims.extensions import db
from lims.issuing.models import Certificate

EXTENSION_ENDPOINTS = {"static", "bootstrap.static"}
PER_ORGANISATION = 2  # ids of each kind of record tried per organisation (and for the lab's own records)


def _table_of(argument: str) -> str | None:
    """The table whose id a route argument names (``job_id`` → job), found among the mapped tables."""
    base = argument.removesuffix("_id")
    aliases = {
        "record": "measurement_record",
        "request": "service_request",
        "event": "training_event",
        "document": "controlled_document",
        "version": "document_version",
        "audit": "internal_audit",
        "round": "proficiency_round",
        "type": "instrument_type",
        "user": "user_account",
        "message": "outbox_message",
        "contact": "organisation_contact",
        "action": "corrective_action",
        "link": "evidence_link",
        "calibration": "standard_calibration",
        "cycle": "verification_cycle",
        "batch": "issue_batch",
    }
    name = aliases.get(base, base)
    return name if name in db.Model.metadata.tables else None


def _ids(session, table_name: str) -> list[int]:
    """Ids of a table's rows: a few per organisation (and of the lab's own), so every owner is tried."""
    table = db.Model.metadata.tables[table_name]
    path = organisation_paths().get(table_name)
    if path is None:
        return list(session.scalars(select(table.c.id).order_by(table.c.id).limit(PER_ORGANISATION)))
    ids_query, organisation = owned_rows(table_name, path)
    chosen: dict[object, list[int]] = {}
    for row_id, owner in session.execute(ids_query.add_columns(organisation).order_by(organisation)):
        bucket = chosen.setdefault(owner, [])
        if len(bucket) < PER_ORGANISATION:
            bucket.append(int(row_id))
    return [row_id for bucket in chosen.values() for row_id in bucket]


def _urls(app, session, own_organisation_id: int, other_organisation_id: int) -> list[str]:
    urls = []
    for rule in app.url_map.iter_rules():
        view = app.view_functions[rule.endpoint]
        if rule.endpoint in EXTENSION_ENDPOINTS or "GET" not in rule.methods or view.lims_public:
            continue
        arguments = sorted(rule.arguments)
        if not arguments:
            path = rule.build({}, append_unknown=False)[1]
            urls += [path, f"{path}?organisation_id={other_organisation_id}"]
            continue
        if arguments == ["calibration_id", "standard_id"]:
            calibrations = db.Model.metadata.tables["standard_calibration"]
            rows = session.execute(select(calibrations.c.id, calibrations.c.standard_id).limit(PER_ORGANISATION))
            values = [{"calibration_id": c, "standard_id": s} for c, s in rows]
        elif len(arguments) == 1 and (table := _table_of(arguments[0])):
            values = [{arguments[0]: row_id} for row_id in _ids(session, table)]
        else:
            raise AssertionError(f"the walk does not know how to fill {rule.rule}: teach _table_of its arguments")
        urls += [rule.build(v, append_unknown=False)[1] for v in values]
    urls += [f"/audit/?entity={entity}" for entity in ("organisation", "certificate", "instrument", "job")]
    urls.append(f"/quality/pack/download?organisation_id={own_organisation_id}")
    return urls


def _text(response) -> str:
    data = response.get_data()
    if data[:4] == b"PK\x03\x04":  # XLSX, ZIP: every member
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            return "\n".join(_member_text(archive.read(name)) for name in archive.namelist())
    return _member_text(data)


def _member_text(data: bytes) -> str:
    if data[:5] == b"%PDF-":
        import pypdfium2

        pdf = pypdfium2.PdfDocument(data)
        return "\n".join(page.get_textpage().get_text_range() for page in pdf)
    if data[:4] == b"PK\x03\x04":
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            return "\n".join(_member_text(archive.read(name)) for name in archive.namelist())
    return data.decode("utf-8", errors="replace")


def _markers(session, own_id: int) -> dict[str, str]:
    """Other enterprises' names, tax codes, instrument serials and certificate numbers (marker → what it is).

    A marker that also belongs to the own organisation (a serial two enterprises share) is left out.
    """
    own, others = set(), {}
    for organisation in session.scalars(select(Organisation)):
        values = {organisation.name, organisation.tax_code}
        if organisation.id == own_id:
            own |= values
        elif organisation.kind == "enterprise":  # the lab and the agencies above it are named on public papers
            others.update({value: f"organisation {organisation.id}" for value in values})
    for serial, organisation_id in session.execute(select(Instrument.serial, Instrument.organisation_id)):
        if organisation_id == own_id:
            own.add(serial)
        else:
            others[serial] = f"serial of organisation {organisation_id}"
    for number, organisation_id in session.execute(select(Certificate.number, Certificate.organisation_id)):
        if organisation_id == own_id:
            own.add(number)
        else:
            others[number] = f"certificate of organisation {organisation_id}"
    return {
        marker: what
        for marker, what in others.items()
        if marker and len(marker) >= 6 and not any(marker in mine for mine in own if mine)
    }


@pytest.fixture()
def demo_world(app, session):
    load_demo()
    enterprise_user = session.scalar(select(User).where(User.username == "dn.cuulong"))
    own_id = enterprise_user.organisation_id
    other_id = session.scalar(
        select(Certificate.organisation_id).where(Certificate.organisation_id != own_id).limit(1)
    ) or session.scalar(
        select(Organisation.id).where(Organisation.id != own_id, Organisation.kind == "enterprise").limit(1)
    )
    inspector = session.scalar(select(User).where(User.username == "thanhtra"))
    inspector.inspector_scopes = [InspectorScope(organisation_id=own_id)]
    session.commit()
    return own_id, other_id


@pytest.mark.parametrize("username", ["thanhtra", "dn.cuulong"])
def test_no_route_shows_another_organisations_data(app, client, session, demo_world, username):
    own_id, other_id = demo_world
    markers = _markers(session, own_id)
    assert len(markers) > 10, "the demo should hold other organisations' data to look for"
    client.post("/login", data={"username": username, "password": DEMO_PASSWORD})
    leaks, opened = [], 0
    for url in _urls(app, session, own_id, other_id):
        response = client.get(url)
        assert response.status_code < 500, url
        if response.status_code != 200:
            continue
        opened += 1
        text = _text(response)
        found = sorted({what for marker, what in markers.items() if marker in text})
        if found:
            leaks.append(f"{url}: {', '.join(found)}")
    assert opened > 20, "the walk should open the pages this person may read"
    assert leaks == []


def test_a_calendar_token_never_reaches_the_audit_trail_in_clear(client, session, login, make_organisation):
    from lims.audit.models import AuditEvent
    from lims.audit.scope import shown_changes
    from lims.auth.permissions import SYSTEM
    from lims.customers.services import calendar_token

    organisation = make_organisation(name="Công ty Lịch Riêng", tax_code="0312345675")
    token = calendar_token(session, SYSTEM, organisation)
    renewed = calendar_token(session, SYSTEM, organisation, renew=True)
    session.commit()
    events = session.scalars(
        select(AuditEvent).where(AuditEvent.entity == "organisation", AuditEvent.entity_id == str(organisation.id))
    ).all()
    assert len(events) >= 2
    assert not any(token in event.payload or renewed in event.payload for event in events)

    # An event written before the token was redacted keeps its hashed payload; its display hides the token.
    old = AuditEvent(
        entity="organisation",
        entity_id="1",
        action="update",
        payload='{"changes": {"calendar_token": [null, "secret-of-old-000000000000"], "name": ["a", "b"]}}',
    )
    assert shown_changes(old) == {"calendar_token": [None, "[redacted]"], "name": ["a", "b"]}

    login("manager")
    page = client.get("/audit/?entity=organisation").get_data(as_text=True)
    assert "Công ty Lịch Riêng" in page and token not in page and renewed not in page


def test_an_enterprise_cannot_make_a_calendar_link_for_another_organisation(session, make_user, make_organisation):
    from lims.core.errors import NotFound
    from lims.customers.services import calendar_token

    own, other = make_organisation(name="Công ty Mình"), make_organisation(name="Công ty Khác")
    user = make_user("enterprise", organisation=own)
    assert calendar_token(session, user, own)
    with pytest.raises(NotFound):
        calendar_token(session, user, other)
