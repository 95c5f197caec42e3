"""Enterprises, cycles, instruments, import, recall and reminders, on both databases."""

import csv
import io
from datetime import date, timedelta

import pytest
from openpyxl import Workbook
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from lims.audit.models import AuditEvent
from lims.auth.permissions import SYSTEM
from lims.core.dates import lab_today
from lims.core.errors import PermissionDenied, RuleViolation
from lims.customers import queries, services
from lims.customers.models import Instrument, InstrumentType, OutboxMessage, ReminderLog

TODAY = date(2026, 11, 24)


@pytest.fixture()
def catalogue(session):
    services.seed_catalogue(session, SYSTEM)
    session.commit()
    return {t.code: t for t in session.scalars(select(InstrumentType))}


@pytest.fixture()
def enterprise(session):
    def make(name="Công ty TNHH Thủy sản Cửu Long", tax_code="2100123457", **fields):
        organisation = services.create_organisation(session, SYSTEM, name=name, tax_code=tax_code, **fields)
        session.commit()
        return organisation

    return make


def add_instrument(session, organisation, instrument_type, serial, next_due_on=None, **fields):
    instrument = services.create_instrument(
        session,
        SYSTEM,
        organisation,
        instrument_type_id=instrument_type.id,
        serial=serial,
        next_due_on=next_due_on,
        **fields,
    )
    session.commit()
    return instrument


# --- enterprises ------------------------------------------------------------------------------------------------


def test_an_enterprise_with_a_wrong_check_digit_is_refused(session):
    with pytest.raises(RuleViolation) as refused:
        services.create_organisation(session, SYSTEM, name="Công ty A", tax_code="2100123456")
    assert refused.value.field == "tax_code"


def test_a_tax_code_is_registered_once(session, enterprise):
    enterprise()
    with pytest.raises(RuleViolation):
        services.create_organisation(session, SYSTEM, name="Công ty trùng", tax_code="2100123457")


def test_the_form_names_the_tax_code_error(client, login):
    login("technician")
    response = client.post("/customers/new", data={"name": "Công ty B", "tax_code": "0100109107"})
    assert response.status_code == 422
    assert "chữ số kiểm tra" in response.get_data(as_text=True)


def test_enrolled_enterprises_are_counted_on_a_day(session, enterprise):
    first = enterprise()
    second = enterprise("Nhà máy Xay xát Lúa gạo Cầu Kè", "2100781230")
    third = enterprise("Ban Quản lý Chợ Trà Vinh", "2100562341")
    services.save_enrolment(
        session, SYSTEM, first, status="enrolled", enrolled_on=date(2025, 6, 1), steps_done=["survey"]
    )
    services.save_enrolment(
        session, SYSTEM, second, status="withdrawn", enrolled_on=date(2025, 1, 1), withdrawn_on=date(2026, 1, 1)
    )
    services.save_enrolment(session, SYSTEM, third, status="surveyed", enrolled_on=None)
    assert services.enrolled_enterprises_count(session, date(2025, 5, 31)) == 1
    assert services.enrolled_enterprises_count(session, date(2025, 12, 31)) == 2
    assert services.enrolled_enterprises_count(session, date(2026, 1, 1)) == 1


# --- effective-dated cycles -------------------------------------------------------------------------------------


def test_a_verification_uses_the_cycle_in_force_on_its_day(session, catalogue):
    truck = catalogue["scale-truck"]  # 12 months (Thông tư 07/2019), 24 months from 15/04/2026 (Thông tư 04/2026)
    before, cycle_before = services.verification_valid_until(session, truck.id, date(2026, 4, 14))
    after, cycle_after = services.verification_valid_until(session, truck.id, date(2026, 4, 15))
    assert (before, cycle_before.months, cycle_before.confirmed) == (date(2027, 4, 13), 12, True)
    assert (after, cycle_after.months, cycle_after.confirmed) == (date(2028, 4, 14), 24, False)


def test_the_valid_until_rule_is_a_lab_setting(session, catalogue):
    platform = catalogue["scale-platform"]
    services.set_valid_until_rule(session, SYSTEM, "end_of_month")
    assert services.verification_valid_until(session, platform.id, date(2026, 5, 10))[0] == date(2027, 5, 31)
    services.set_valid_until_rule(session, SYSTEM, "same_day")
    assert services.verification_valid_until(session, platform.id, date(2026, 5, 10))[0] == date(2027, 5, 10)


def test_an_initial_only_type_has_no_valid_until_and_no_rule_means_refusal(session, catalogue):
    assert services.verification_valid_until(session, catalogue["thermometer-mercury"].id, date(2020, 1, 1))[0] is None
    with pytest.raises(RuleViolation):
        services.verification_valid_until(session, catalogue["scale-truck"].id, date(2010, 1, 1))


def test_a_manager_confirms_or_corrects_a_seeded_rule_and_the_trail_keeps_why(session, catalogue, make_user):
    manager, technician = make_user("manager"), make_user("technician")
    cycle = services.cycle_in_force(session, catalogue["scale-crane"].id, date(2026, 6, 1))
    with pytest.raises(PermissionDenied):
        services.confirm_cycle(session, technician, cycle, months=24, legal_source="TT 04/2026", reason="x")
    services.confirm_cycle(
        session, manager, cycle, months=18, legal_source="Thông tư 04/2026/TT-BKHCN", reason="Công báo số 123"
    )
    session.commit()
    assert (cycle.months, cycle.confirmed, cycle.confirmed_by_id) == (18, True, manager.id)
    event = session.scalars(
        select(AuditEvent)
        .where(AuditEvent.entity == "verification_cycle", AuditEvent.entity_id == str(cycle.id))
        .order_by(AuditEvent.seq.desc())
        .limit(1)
    ).one()
    assert event.reason == "Công báo số 123" and '"months":[24,18]' in event.payload


def test_seeding_twice_adds_nothing_and_keeps_a_managers_correction(session, catalogue, make_user):
    cycle = services.cycle_in_force(session, catalogue["scale-crane"].id, date(2026, 6, 1))
    services.confirm_cycle(session, make_user("manager"), cycle, months=18, legal_source="TT", reason="checked")
    assert services.seed_catalogue(session, SYSTEM) == (0, 0)
    assert cycle.months == 18


def test_record_service_moves_the_next_due_date(session, catalogue, enterprise):
    owner = enterprise()
    scale = add_instrument(session, owner, catalogue["scale-platform"], "S-1")
    valid_until, _cycle = services.verification_valid_until(session, scale.instrument_type_id, date(2026, 5, 4))
    services.record_service(session, SYSTEM, scale, "verification", date(2026, 5, 4), valid_until)
    assert (scale.last_service_on, scale.next_due_on) == (date(2026, 5, 4), date(2027, 5, 3))
    services.record_service(
        session, SYSTEM, scale, "verification", date(2026, 1, 1), date(2027, 1, 1)
    )  # older: ignored
    assert scale.next_due_on == date(2027, 5, 3)
    services.record_service(session, SYSTEM, scale, "calibration", date(2026, 6, 1), None)
    assert scale.next_due_on == date(2027, 6, 1)  # the lab's recommended 12 months


# --- cross-organisation isolation -----------------------------------------------------------------------------


@pytest.fixture()
def two_enterprises(session, catalogue, enterprise):
    mine = enterprise()
    theirs = enterprise("Công ty Cổ phần Cấp thoát nước Vĩnh Long", "1500884101")
    # due in five days by the lab's real clock: the home page counts from the real today
    soon = lab_today() + timedelta(days=5)
    own_scale = add_instrument(session, mine, catalogue["scale-platform"], "MINE-1", soon)
    other_scale = add_instrument(session, theirs, catalogue["scale-platform"], "THEIRS-1", soon)
    return mine, theirs, own_scale, other_scale


def test_an_enterprise_user_sees_only_its_own_instruments(client, login, two_enterprises):
    mine, _theirs, _own, _other = two_enterprises
    login("enterprise", organisation=mine)
    for url in ("/customers/instruments", "/customers/recall?days=30", "/customers/instruments?q=THEIRS"):
        page = client.get(url).get_data(as_text=True)
        assert "THEIRS-1" not in page, url
    assert "MINE-1" in client.get("/customers/instruments").get_data(as_text=True)


def test_an_enterprise_user_cannot_open_another_organisations_records_by_id(client, login, two_enterprises):
    mine, theirs, own, other = two_enterprises
    login("enterprise", organisation=mine)
    assert client.get(f"/customers/instruments/{own.id}").status_code == 200
    assert client.get(f"/customers/instruments/{other.id}").status_code == 404
    assert client.get(f"/customers/{theirs.id}").status_code == 404
    assert client.get(f"/customers/{mine.id}").status_code == 200
    assert client.post(f"/customers/{theirs.id}/calendar-link").status_code == 404


def test_an_enterprise_users_export_holds_only_its_own_rows(client, login, two_enterprises):
    mine, theirs, _own, _other = two_enterprises
    login("enterprise", organisation=mine)
    response = client.get(f"/customers/instruments.csv?organisation_id={theirs.id}")
    rows = list(csv.reader(io.StringIO(response.get_data(as_text=True).lstrip("\ufeff"))))
    assert rows[0][0] == "tax_code" and len(rows) == 1
    rows = list(csv.reader(io.StringIO(client.get("/customers/instruments.csv").get_data(as_text=True))))
    assert [row[2] for row in rows[1:]] == ["MINE-1"]


def test_the_enterprise_list_sends_an_enterprise_user_to_its_own_page(client, login, two_enterprises):
    mine, *_ = two_enterprises
    login("enterprise", organisation=mine)
    response = client.get("/customers/")
    assert response.status_code == 302 and response.location.endswith(f"/customers/{mine.id}")


def test_an_inspector_limited_to_one_enterprise_reads_only_that_one(client, login, two_enterprises):
    mine, theirs, own, other = two_enterprises
    login("inspector", inspector_scope_ids=[theirs.id])
    assert client.get(f"/customers/instruments/{own.id}").status_code == 404
    assert client.get(f"/customers/instruments/{other.id}").status_code == 200
    assert "MINE-1" not in client.get("/customers/instruments").get_data(as_text=True)


# --- recall and reminders -------------------------------------------------------------------------------------


@pytest.fixture()
def due_instruments(session, catalogue, enterprise):
    owner = enterprise(email="qa@cuulong.example.vn", address="KCN Long Đức, Vĩnh Long")
    weights = catalogue["weight-f1-m2"]
    dates = {
        "OVERDUE": TODAY - timedelta(days=3),
        "TODAY": TODAY,
        "IN-20": TODAY + timedelta(days=20),
        "IN-45": TODAY + timedelta(days=45),
        "IN-200": TODAY + timedelta(days=200),
    }
    made = {serial: add_instrument(session, owner, weights, serial, due) for serial, due in dates.items()}
    add_instrument(session, owner, weights, "NO-DATE")
    retired = add_instrument(session, owner, weights, "RETIRED", TODAY)
    services.update_instrument(session, SYSTEM, retired, active=False)
    session.commit()
    return owner, made


def test_the_recall_lists_overdue_and_due_instruments_soonest_first(session, make_user, due_instruments):
    staff = make_user("technician")
    serials = [i.serial for i in session.scalars(queries.recall_query(staff, TODAY, 30))]
    assert serials == ["OVERDUE", "TODAY", "IN-20"]
    summary = queries.recall_summary(session, staff, TODAY, within_days=30, months=12)
    assert (summary.overdue, summary.due_soon) == (1, 2)
    counts = dict(summary.months)
    assert counts[date(2026, 11, 1)] == 1 and counts[date(2026, 12, 1)] == 1 and counts[date(2027, 1, 1)] == 1
    assert counts[date(2027, 6, 1)] == 1 and sum(counts.values()) == 4


def test_a_due_date_is_announced_once_per_channel(session, due_instruments):
    owner, made = due_instruments
    assert services.queue_reminders(session, SYSTEM, TODAY, 30, "email") == 1
    session.commit()
    assert services.queue_reminders(session, SYSTEM, TODAY, 30, "email") == 0
    assert services.queue_reminders(session, SYSTEM, TODAY, 30, "letter") == 1
    session.commit()
    message = session.scalars(select(OutboxMessage).where(OutboxMessage.channel == "email")).one()
    assert message.recipient == "qa@cuulong.example.vn" and "OVERDUE" not in message.subject
    assert "IN-20" in message.body and "IN-45" not in message.body
    # A new due date (after a verification) is a new announcement.
    made["IN-20"].next_due_on = TODAY + timedelta(days=25)
    session.commit()
    assert services.queue_reminders(session, SYSTEM, TODAY, 30, "email") == 1
    session.commit()
    logged = session.scalar(select(func.count(ReminderLog.id)).where(ReminderLog.channel == "email"))
    assert logged == 4


def test_the_database_refuses_a_second_log_of_the_same_announcement(session, due_instruments):
    _owner, made = due_instruments
    instrument = made["TODAY"]
    session.add(ReminderLog(instrument_id=instrument.id, due_on=TODAY, channel="email"))
    session.commit()
    session.add(ReminderLog(instrument_id=instrument.id, due_on=TODAY, channel="email"))
    with pytest.raises(IntegrityError):
        session.commit()
    session.rollback()


def test_the_calendar_feed_lists_the_enterprises_due_dates_behind_its_token(client, session, due_instruments):
    owner, _made = due_instruments
    token = services.calendar_token(session, SYSTEM, owner)
    session.commit()
    response = client.get(f"/customers/calendar/{token}.ics")
    body = response.get_data(as_text=True)
    assert response.status_code == 200 and response.mimetype == "text/calendar"
    assert body.count("BEGIN:VEVENT") == 5 and "IN-200" in body and "RETIRED" not in body
    assert client.get("/customers/calendar/not-the-token-at-all-000000.ics").status_code == 404
    services.calendar_token(session, SYSTEM, owner, renew=True)
    session.commit()
    assert client.get(f"/customers/calendar/{token}.ics").status_code == 404


# --- import ------------------------------------------------------------------------------------------------------


def csv_bytes(rows: list[list]) -> bytes:
    output = io.StringIO()
    csv.writer(output).writerows(rows)
    return output.getvalue().encode("utf-8")


HEADER = ["tax_code", "type_code", "serial", "range_max", "unit", "accuracy_class", "last_service_on"]


def test_an_import_with_one_bad_row_imports_nothing_and_names_row_and_column(session, catalogue, enterprise):
    enterprise()
    content = csv_bytes(
        [
            HEADER,
            ["2100123457", "scale-platform", "A-1", "150", "kg", "III", "10/05/2026"],
            ["2100123457", "scale-nonexistent", "A-2", "150", "kg", "III", ""],
            ["2100123457", "weight-f1-m2", "A-3", "abc", "kg", "M1", "2026-13-01"],
            ["2100123456", "weight-f1-m2", "A-4", "1", "kg", "M1", ""],
            ["2100123457", "scale-platform", "A-1", "150", "kg", "III", ""],
        ]
    )
    report = services.import_instruments(session, SYSTEM, content, "may-can.csv")
    session.rollback()
    problems = {(p.row, p.column) for p in report.problems}
    assert problems == {(3, "type_code"), (4, "range_max"), (4, "last_service_on"), (5, "tax_code"), (6, "serial")}
    assert report.imported == 0
    assert session.scalar(select(func.count(Instrument.id))) == 0


def test_a_clean_import_inserts_every_row_and_one_summary_audit_event(session, catalogue, enterprise):
    owner = enterprise()
    rows = [HEADER] + [
        ["", "scale-platform", f"B-{n}", "150", "kg", "III", "10/05/2026" if n % 2 else ""] for n in range(1, 13)
    ]
    report = services.import_instruments(session, SYSTEM, csv_bytes(rows), "b.csv", organisation_id=owner.id)
    session.commit()
    assert report.ok and report.imported == 12
    dated = session.scalar(select(Instrument).where(Instrument.serial == "B-1"))
    assert (dated.last_service_kind, dated.next_due_on) == ("verification", date(2027, 5, 9))
    event = session.scalars(select(AuditEvent).where(AuditEvent.action == "import")).one()
    assert '"count":12' in event.payload and report.sha256 in event.payload
    again = services.import_instruments(session, SYSTEM, csv_bytes(rows), "b.csv", organisation_id=owner.id)
    assert not again.ok and {p.column for p in again.problems} == {"serial"}


def xlsx_bytes(rows: list[list]) -> bytes:
    workbook = Workbook()
    sheet = workbook.active
    for row in rows:
        sheet.append(row)
    output = io.BytesIO()
    workbook.save(output)
    return output.getvalue()


def test_the_import_page_shows_the_report_and_keeps_nothing_of_a_refused_xlsx(client, session, login, catalogue):
    owner = services.create_organisation(session, SYSTEM, name="Chợ Trà Vinh", tax_code="2100562341")
    session.commit()
    login("technician")
    content = xlsx_bytes(
        [
            ["Mã loại", "Số sản xuất", "Phạm vi đo đến", "Ngày kiểm định gần nhất"],
            ["scale-spring-dial", "C-1", 30, date(2026, 3, 2)],
            ["scale-spring-dial", "", 30, None],
        ]
    )
    response = client.post(
        "/customers/import",
        data={"organisation_id": owner.id, "file": (io.BytesIO(content), "cho.xlsx")},
        content_type="multipart/form-data",
    )
    page = response.get_data(as_text=True)
    assert response.status_code == 422 and 'data-testid="import-report"' in page
    assert "<td>3</td><td>serial</td>" in page
    assert session.scalar(select(func.count(Instrument.id))) == 0
    fixed = xlsx_bytes(
        [
            ["Mã loại", "Số sản xuất", "Phạm vi đo đến"],
            ["scale-spring-dial", "C-1", 30],
            ["scale-spring-dial", "C-2", 5],
        ]
    )
    response = client.post(
        "/customers/import",
        data={"organisation_id": owner.id, "file": (io.BytesIO(fixed), "cho.xlsx")},
        content_type="multipart/form-data",
    )
    assert response.status_code == 200 and 'data-testid="import-ok"' in response.get_data(as_text=True)
    assert session.scalar(select(func.count(Instrument.id))) == 2


# --- pages ---------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("role", ["manager", "technician", "inspector"])
def test_the_domains_pages_render_for_lab_staff_and_inspectors(client, login, role, two_enterprises):
    mine, _theirs, own, _other = two_enterprises
    login(role)
    for url in (
        "/customers/",
        f"/customers/{mine.id}",
        "/customers/instruments",
        f"/customers/instruments/{own.id}",
        "/customers/recall",
        "/customers/types",
        "/home",
    ):
        response = client.get(url)
        assert response.status_code == 200, url
    assert 'data-testid="due-chart"' in client.get("/customers/recall").get_data(as_text=True)


def test_a_manager_queues_reminders_from_the_page_and_sees_them_in_the_outbox(client, login, due_instruments):
    login("manager")
    response = client.post("/customers/outbox/queue", data={"days": 30, "channel": "email"})
    assert response.status_code == 302
    assert "qa@cuulong.example.vn" in client.get("/customers/outbox").get_data(as_text=True)


def test_the_demo_loads_twice_with_valid_tax_codes(app_context, session):
    from lims.customers.models import Organisation
    from lims.customers.rules import is_valid_tax_code
    from lims.demo import load_demo

    load_demo()
    count = session.scalar(select(func.count(Instrument.id)))
    load_demo()
    assert session.scalar(select(func.count(Instrument.id))) == count >= 300
    codes = session.scalars(select(Organisation.tax_code).where(Organisation.kind == "enterprise")).all()
    assert len(codes) >= 12 and all(is_valid_tax_code(code) for code in codes)
    assert services.enrolled_enterprises_count(session, date.today()) >= 3


def test_a_managers_pages_render(client, session, login, two_enterprises, catalogue):
    mine, _theirs, own, _other = two_enterprises
    login("manager")
    for url in (
        f"/customers/types/{catalogue['scale-truck'].id}",
        "/customers/outbox",
        f"/customers/{mine.id}/enrolment",
        f"/customers/{mine.id}/edit",
        "/customers/new",
        "/customers/import",
        f"/customers/{mine.id}/instruments/new",
        f"/customers/instruments/{own.id}/edit",
    ):
        assert client.get(url).status_code == 200, url


def test_an_enterprise_users_home_counts_only_its_own_due_instruments(client, login, two_enterprises):
    mine, *_ = two_enterprises
    login("enterprise", organisation=mine)
    page = client.get("/home").get_data(as_text=True)
    assert "Quá hạn: 0; đến hạn trong 30 ngày: 1" in page


def test_the_command_line_import_refuses_a_bad_file_whole_and_takes_a_good_one(app, session, catalogue, tmp_path):
    owner = services.create_organisation(session, SYSTEM, name="Chợ Trà Vinh", tax_code="2100562341")
    session.commit()
    bad = tmp_path / "bad.csv"
    bad.write_bytes(csv_bytes([["type_code", "serial"], ["scale-platform", "D-1"], ["scale-platform", ""]]))
    runner = app.test_cli_runner()
    result = runner.invoke(args=["import", "instruments", str(bad), "--organisation", owner.tax_code])
    assert result.exit_code == 1 and "row 3" in result.output and "serial" in result.output
    assert session.scalar(select(func.count(Instrument.id))) == 0
    good = tmp_path / "good.csv"
    good.write_bytes(csv_bytes([["type_code", "serial"], ["scale-platform", "D-1"], ["scale-platform", "D-2"]]))
    result = runner.invoke(args=["import", "instruments", str(good), "--organisation", owner.tax_code])
    assert result.exit_code == 0, result.output
    session.expire_all()
    assert session.scalar(select(func.count(Instrument.id))) == 2


class FakeSMTP:
    """Stands in for smtplib.SMTP: remembers the server it was given and the messages sent."""

    sent: list = []

    def __init__(self, host, port):
        self.address = (host, port)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return False

    def starttls(self):
        pass

    def login(self, user, password):
        self.credentials = (user, password)

    def send_message(self, message):
        FakeSMTP.sent.append((self.address, message["To"], message["Subject"]))


def test_queued_emails_go_out_through_the_configured_server_once(session, due_instruments, monkeypatch):
    monkeypatch.setattr(services.smtplib, "SMTP", FakeSMTP)
    FakeSMTP.sent = []
    assert services.send_outbox(session, SYSTEM, None) == (0, 0)
    services.queue_reminders(session, SYSTEM, TODAY, 30, "email")
    assert services.send_outbox(session, SYSTEM, "smtp://lims%40lab.vn:secret@mail.lab.vn:2525") == (1, 0)
    assert services.send_outbox(session, SYSTEM, "smtp://mail.lab.vn:2525") == (0, 0)
    assert FakeSMTP.sent == [
        (("mail.lab.vn", 2525), "qa@cuulong.example.vn", FakeSMTP.sent[0][2]),
    ]
    message = session.scalars(select(OutboxMessage)).one()
    assert message.status == "sent" and message.sent_at is not None
