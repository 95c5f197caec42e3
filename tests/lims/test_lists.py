"""The list mechanism (lims.core.lists): filters parsed once, pages cut by key, the same rows on page and export."""

import csv
import io
from datetime import date, timedelta

import pytest
from openpyxl import load_workbook

from lims.auth.permissions import SYSTEM
from lims.core.errors import BadArgument
from lims.core.lists import decode_cursor, fetch_page, parse_filters
from lims.customers.models import Instrument, InstrumentType
from lims.customers.queries import INSTRUMENTS, InstrumentFilter
from lims.jobs.models import ServiceRequest
from lims.jobs.queries import REQUESTS, RequestFilter


@pytest.fixture()
def instruments(session, make_organisation):
    """Two enterprises: the first with 7 instruments due on various days (two on the same day), the second 3."""
    scale = InstrumentType(code="can-ban", name_vi="Cân bàn", name_en="Platform scale")
    session.add(scale)
    session.flush()
    first, second = make_organisation("Công ty Một"), make_organisation("Công ty Hai")
    today = date.today()
    made = []
    for number, (owner, days) in enumerate(
        [(first, d) for d in (-5, 3, 3, 10, 40, 200, 400)] + [(second, d) for d in (-1, 2, 500)]
    ):
        instrument = Instrument(
            organisation_id=owner.id,
            instrument_type_id=scale.id,
            serial=f"SN-{number:03d}",
            unit="kg",
            next_due_on=today + timedelta(days=days),
        )
        session.add(instrument)
        made.append(instrument)
    session.commit()
    return first, second, made


def _walk(session, spec, actor, filters, limit):
    seen, cursor = [], None
    while True:
        page = fetch_page(session, spec, actor, filters, cursor=cursor, limit=limit)
        seen += page.items
        if not page.has_next:
            return seen
        cursor = page.next_cursor


@pytest.mark.parametrize("limit", [1, 2, 3, 50])
def test_walking_the_pages_by_key_shows_every_row_once_in_order(session, instruments, limit):
    first, second, made = instruments
    everything = list(session.scalars(INSTRUMENTS.ordered(SYSTEM, InstrumentFilter())))
    walked = _walk(session, INSTRUMENTS, SYSTEM, InstrumentFilter(), limit)
    assert [i.id for i in walked] == [i.id for i in everything]
    assert len(walked) == len(made)
    due = InstrumentFilter(due="due", within_days=30)
    walked = _walk(session, INSTRUMENTS, SYSTEM, due, limit)
    days = [i.next_due_on for i in walked]
    assert days == sorted(days) and len(days) == 6  # -5, 3, 3, 10 / -1, 2


def test_an_enterprise_walks_only_its_own_rows(session, instruments, make_user):
    first, _second, _made = instruments
    user = make_user("enterprise", organisation=first)
    walked = _walk(session, INSTRUMENTS, user, InstrumentFilter(), 2)
    assert {i.organisation_id for i in walked} == {first.id} and len(walked) == 7


def test_a_page_ignores_a_bad_filter_and_the_api_refuses_it_by_name():
    assert parse_filters(InstrumentFilter, {"type": "abc", "due": "soon", "days": "99999"}) == InstrumentFilter()
    with pytest.raises(BadArgument) as refused:
        parse_filters(InstrumentFilter, {"days": "99999"}, strict=True)
    assert refused.value.field == "days" and refused.value.status == 400
    assert parse_filters(InstrumentFilter, {"due": "overdue", "days": "60"}).within_days == 60


@pytest.mark.parametrize("cursor", ["x", "W10", "WyJhIl0", "e30", "WzEsMl0" * 200, "WzEuNSwxXQ", "W3RydWUsMV0"])
def test_a_cursor_not_made_here_is_refused_naming_the_cursor(cursor):
    keys = INSTRUMENTS.keys(InstrumentFilter())
    with pytest.raises(BadArgument) as refused:
        decode_cursor(keys, cursor)
    assert refused.value.field == "cursor"


def test_the_page_and_its_exports_show_the_same_filtered_rows(client, login, instruments):
    login("manager")
    page = client.get("/customers/instruments?due=due")
    assert page.status_code == 200
    assert client.get("/customers/instruments?cursor=garbage").status_code == 200  # a bad cursor: the first page
    exported = client.get("/customers/instruments.csv?due=overdue")
    rows = list(csv.reader(io.StringIO(exported.get_data(as_text=True).lstrip("\ufeff"))))
    assert sorted(row[2] for row in rows[1:]) == ["SN-000", "SN-007"]
    workbook = load_workbook(io.BytesIO(client.get("/customers/instruments.xlsx?due=overdue").data))
    sheet_rows = list(workbook.active.iter_rows(values_only=True))
    assert sheet_rows[0][:3] == ("tax_code", "type_code", "serial")
    assert sorted(row[2] for row in sheet_rows[1:]) == ["SN-000", "SN-007"]


def test_the_next_page_link_carries_the_filters_and_the_cursor(client, login, instruments, session):
    login("manager")
    html = client.get("/customers/instruments").get_data(as_text=True)
    assert 'data-testid="next-page"' not in html  # 10 rows fit one page of 50
    type_id = instruments[2][0].instrument_type_id
    for number in range(60):
        session.add(Instrument(organisation_id=instruments[0].id, instrument_type_id=type_id, serial=f"X-{number}",
                               unit="kg"))  # fmt: skip
    session.commit()
    html = client.get(f"/customers/instruments?type={type_id}").get_data(as_text=True)
    assert 'data-testid="next-page"' in html and "cursor=" in html and "type=" in html


def test_requests_list_filters_by_status_and_number(session, make_organisation, client, login):
    owner = make_organisation()
    for number, status in enumerate(["submitted", "accepted", "cancelled"]):
        session.add(ServiceRequest(number=f"YC2026-{number:05d}", organisation_id=owner.id, status=status,
                                   requested_on=date(2026, 11, 1)))  # fmt: skip
    session.commit()
    found = _walk(session, REQUESTS, SYSTEM, RequestFilter(status="accepted"), 1)
    assert [r.number for r in found] == ["YC2026-00001"]
    found = _walk(session, REQUESTS, SYSTEM, RequestFilter(search="00002"), 1)
    assert [r.status for r in found] == ["cancelled"]
    login("manager")
    html = client.get("/jobs/requests?status=submitted").get_data(as_text=True)
    assert "YC2026-00000" in html and "YC2026-00001" not in html
    exported = client.get("/jobs/requests.csv").get_data(as_text=True)
    assert exported.count("YC2026-") == 3


def test_jobs_list_and_certificates_list_answer_with_filters(client, login):
    login("manager")
    assert client.get("/jobs/list?state=scheduled&technician=abc").status_code == 200
    assert client.get("/jobs/list.csv?state=nothing").status_code == 200
    assert client.get("/certificates?kind=calibration&issued_from=2026-01-01&issued_to=bad").status_code == 200
    assert client.get("/certificates.xlsx?status=issued").status_code == 200


@pytest.mark.parametrize(
    ("sort", "direction"), [("due_on", None), ("due_on", "desc"), ("location", "asc"), ("name", "desc")]
)
def test_the_standards_register_walks_by_key_with_undated_standards_first(session, sort, direction):
    from lims.standards.models import Standard
    from lims.standards.queries import STANDARDS, StandardFilter

    for number in range(7):
        session.add(Standard(code=f"C-{number}", name=f"Chuẩn {number % 3}", kind="other",
                             location=None if number % 2 else f"Phòng {number % 3}",
                             due_on=None if number % 3 == 0 else date(2027, 1, 1 + number % 2)))  # fmt: skip
    session.commit()
    filters = StandardFilter(sort=sort, direction=direction)
    everything = [s.code for s in session.scalars(STANDARDS.ordered(SYSTEM, filters))]
    assert [s.code for s in _walk(session, STANDARDS, SYSTEM, filters, 2)] == everything
    assert sorted(everything) == [f"C-{n}" for n in range(7)]
    if sort == "due_on":
        undated = [f"C-{n}" for n in (0, 3, 6)]
        assert (everything[:3] if direction is None else everything[-3:]) == undated
