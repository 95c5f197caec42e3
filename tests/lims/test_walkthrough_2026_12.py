# ruff: noqa: F811 - the `lab` fixture is imported from the workflow tests
"""The findings of the December 2026 walkthrough (../shared/reviews/walkthrough-2026-12.md), each as a rule.

A test is named after the finding it proves fixed; the journeys themselves are tested in tests/browser/test_lab_day.py.
"""

import copy
import unicodedata
from html.parser import HTMLParser

import pytest
from sqlalchemy import select

from lims.auth.permissions import SYSTEM
from lims.core.errors import RuleViolation
from lims.core.search import fold
from lims.customers import queries, services
from lims.customers.models import Instrument, InstrumentType
from lims.jobs.models import MeasurementRecord
from tests.conftest import TEST_PASSWORD
from tests.lims.test_jobs_workflow import lab  # noqa: F401 - the lab fixture

# --- finding 1: a decimal comma typed into a number input ---------------------------------------------------------


def _instrument_form(client, organisation_id):
    return client.get(f"/customers/{organisation_id}/instruments/new").get_data(as_text=True)


def test_finding_1_number_inputs_are_text_with_a_decimal_keypad(client, login, session):
    login("technician")
    owner = services.create_organisation(session, SYSTEM, name="Công ty Hưng Thịnh", tax_code="2100123457")
    session.commit()
    page = _instrument_form(client, owner.id)
    assert 'type="number"' not in page
    for name in ("range_min", "range_max", "resolution", "verification_interval"):
        assert (
            f'id="{name}" inputmode="decimal"' in page
            or f'inputmode="decimal" name="{name}"' in page
            or (f'name="{name}"' in page and 'inputmode="decimal"' in page)
        )


@pytest.fixture()
def scale_type(session):
    services.seed_catalogue(session, SYSTEM)
    session.commit()
    return session.scalar(select(InstrumentType).where(InstrumentType.code == "scale-platform"))


def _post_instrument(client, owner, scale_type, **values):
    data = {
        "instrument_type_id": scale_type.id,
        "serial": "CB-150",
        "range_max": "150",
        "unit": "kg",
        "last_service_kind": "",
    } | values
    return client.post(f"/customers/{owner.id}/instruments/new", data=data)


def test_finding_1_a_decimal_comma_is_stored_as_the_number_typed(client, login, session, scale_type):
    login("technician")
    owner = services.create_organisation(session, SYSTEM, name="Công ty Hưng Thịnh", tax_code="2100123457")
    session.commit()
    response = _post_instrument(client, owner, scale_type, resolution="0,05", verification_interval="0,05")
    assert response.status_code == 302, response.get_data(as_text=True)
    stored = session.scalar(select(Instrument))
    assert stored.resolution == 0.05 and stored.verification_interval == 0.05


def test_finding_1_a_d_above_a_hundredth_of_max_is_asked_before_it_is_stored(client, login, session, scale_type):
    login("technician")
    owner = services.create_organisation(session, SYSTEM, name="Công ty Hưng Thịnh", tax_code="2100123457")
    session.commit()
    # "0,05" read without its comma: d = 5 kg on a 150 kg scale.
    response = _post_instrument(client, owner, scale_type, resolution="5")
    page = response.get_data(as_text=True)
    assert response.status_code == 400
    assert 'data-testid="error-resolution"' in page and 'data-testid="confirm-values"' in page
    assert 'value="5"' in page  # what was typed stays
    assert session.scalar(select(Instrument)) is None
    confirmed = _post_instrument(client, owner, scale_type, resolution="5", confirm_values="y")
    assert confirmed.status_code == 302
    assert session.scalar(select(Instrument)).resolution == 5


def test_finding_1_min_above_max_and_text_are_refused_at_their_field(client, login, session, scale_type):
    login("technician")
    owner = services.create_organisation(session, SYSTEM, name="Công ty Hưng Thịnh", tax_code="2100123457")
    session.commit()
    page = _post_instrument(client, owner, scale_type, range_min="200").get_data(as_text=True)
    assert 'data-testid="error-range_min"' in page
    page = _post_instrument(client, owner, scale_type, resolution="không phẩy năm").get_data(as_text=True)
    assert 'data-testid="error-resolution"' in page
    assert session.scalar(select(Instrument)) is None


def test_finding_1_thousands_typed_in_a_whole_number_field_are_read(app_context):
    from lims.core.forms import LabForm, LocalIntegerField

    class Amount(LabForm):
        amount = LocalIntegerField()

    with app_context.test_request_context(method="POST", data={"amount": "1.500.000"}):
        form = Amount()
        assert form.validate() and form.amount.data == 1_500_000
    with app_context.test_request_context(method="POST", data={"amount": "1,5"}):
        form = Amount()
        assert not form.validate()


# --- finding 9: search folds case, accents and Unicode form --------------------------------------------------------


def test_fold_strips_marks_and_reads_d_bar_as_d():
    assert fold("Công ty TNHH Hưng Thịnh") == "cong ty tnhh hung thinh"
    assert fold("ĐỒNG HỒ ĐO ÁP SUẤT") == "dong ho do ap suat"
    assert fold(unicodedata.normalize("NFD", "Hưng Thịnh")) == fold("Hưng Thịnh")


def test_finding_9_organisations_are_found_without_accents_or_in_nfd(session, make_user):
    staff = make_user("technician")
    services.create_organisation(session, SYSTEM, name="Công ty TNHH Hưng Thịnh", tax_code="2100123457")
    services.create_organisation(session, SYSTEM, name="Nhà máy Xay xát Cầu Kè", tax_code="2100781230")
    session.commit()
    for typed in ("hung thinh", "HƯNG THỊNH", unicodedata.normalize("NFD", "Hưng Thịnh"), "thinh hung", "2100123"):
        found = session.scalars(queries.organisations_query(staff, typed)).all()
        assert [o.name for o in found] == ["Công ty TNHH Hưng Thịnh"], typed
    assert session.scalars(queries.organisations_query(staff, "hung 100%")).all() == []


def test_finding_9_instruments_are_found_by_serial_enterprise_or_type_without_accents(session, make_user, scale_type):
    staff = make_user("technician")
    owner = services.create_organisation(session, SYSTEM, name="Công ty TNHH Hưng Thịnh", tax_code="2100123457")
    other = services.create_organisation(session, SYSTEM, name="Nhà máy Cầu Kè", tax_code="2100781230")
    gauge = session.scalar(select(InstrumentType).where(InstrumentType.name_vi.like("Đồng hồ%")))
    services.create_instrument(session, SYSTEM, owner, instrument_type_id=scale_type.id, serial="CB-150")
    services.create_instrument(session, SYSTEM, other, instrument_type_id=gauge.id, serial="DH-7", maker="Đài Loan")
    session.commit()

    def serials(typed):
        filters = queries.InstrumentFilter(search=typed)
        return [i.serial for i in session.scalars(queries.instruments_query(staff, filters, date_today()))]

    assert serials("hung thinh") == ["CB-150"]
    assert serials("cb-150") == ["CB-150"]
    assert serials("dong ho") == ["DH-7"]
    assert serials("dai loan cau ke") == ["DH-7"]


def test_finding_9_types_and_standards_are_found_without_accents(session, make_user, scale_type):
    from lims.standards import queries as standard_queries
    from lims.standards.services import register_standard

    manager = make_user("manager")
    found = session.scalars(services_types("dong ho")).all()
    assert any(t.name_vi.startswith("Đồng hồ") for t in found)
    assert scale_type not in found
    register_standard(session, manager, code="M1-01", name="Bộ quả cân chuẩn cấp M1", kind="weight_set")
    session.commit()
    filters = standard_queries.StandardFilter(text="qua can chuan")
    assert [s.code for s in session.scalars(standard_queries.standards_query(filters, date_today()))] == ["M1-01"]


def services_types(typed):
    return queries.instrument_types_query(search=typed)


def date_today():
    from lims.core.dates import lab_today

    return lab_today()


# --- finding 10: accounts ------------------------------------------------------------------------------------------


def test_finding_10_usernames_differing_only_by_case_are_one_account(session, make_user, client):
    make_user("technician", username="ktv.An")
    with pytest.raises(RuleViolation) as refused:
        make_user("technician", username="KTV.an")
    assert refused.value.field == "username"
    session.rollback()
    response = client.post("/login", data={"username": "KTV.AN", "password": TEST_PASSWORD})
    assert response.status_code == 302


def test_finding_10_staff_accounts_belong_to_the_lab(session, make_user, make_organisation):
    technician = make_user("technician")
    assert technician.organisation is not None and technician.organisation.kind == "lab"
    enterprise = make_organisation()
    with pytest.raises(RuleViolation) as refused:
        make_user("signatory", organisation=enterprise)
    assert refused.value.field == "organisation_id"


# --- finding 6: the weight record -------------------------------------------------------------------------------


class _PostedForm(HTMLParser):
    """What a browser posts from a page's form untouched: every input's value and every select's chosen option."""

    def __init__(self, form_id: str):
        super().__init__()
        self.form_id, self.inside, self.select, self.first_option = form_id, False, None, None
        self.data: dict[str, str] = {}

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "form":
            self.inside = attrs.get("id") == self.form_id
        elif not self.inside:
            return
        elif tag == "input" and attrs.get("name") and attrs.get("type") not in ("checkbox", "submit"):
            self.data[attrs["name"]] = attrs.get("value") or ""
        elif tag == "select":
            self.select, self.first_option = attrs.get("name"), None
        elif tag == "option" and self.select:
            if self.first_option is None:
                self.first_option = attrs.get("value", "")
                self.data[self.select] = self.first_option
            if "selected" in attrs:
                self.data[self.select] = attrs.get("value", "")

    def handle_endtag(self, tag):
        if tag == "select":
            self.select = None
        elif tag == "form":
            self.inside = False


def _as_the_page_posts(client, url: str, typed: dict) -> dict:
    parser = _PostedForm("record-form")
    parser.feed(client.get(url).get_data(as_text=True))
    return parser.data | typed


@pytest.mark.parametrize("cycle", ["ABBA", "ABA"])
def test_finding_6_a_weight_record_previews_saves_no_empty_rows_and_shows_its_budget_in_words(
    client, session, lab, cycle
):
    from tests.lims.test_jobs_pages import form_data, sign_in
    from tests.lims.test_jobs_workflow import CONDITIONS, WEIGHT_CASE, in_progress

    job = in_progress(session, lab, instrument="weight", service="calibration", key="weight-comparison-r111")
    session.commit()
    sign_in(client, lab["technician"])
    document = copy.deepcopy(WEIGHT_CASE) | {"cycle": cycle}
    if cycle == "ABA":
        document["readings"] = [[r1, t1, r2] for r1, t1, _t2, r2 in WEIGHT_CASE["readings"]]
    readings = document.pop("readings")  # one line of numbers per cycle
    typed = form_data(document) | {f"obs.readings.{i}": " ".join(map(str, row)) for i, row in enumerate(readings)}
    typed |= {f"env.{name}": str(value) for name, value in CONDITIONS.items()}
    typed |= {"stage": "as_found", "standards": str(lab["standard"].id)}
    url = f"/jobs/{job.id}/record?stage=as_found"
    posted = _as_the_page_posts(client, url, typed)
    # The page offers rows for AB1...BnA with a class and a density uncertainty already filled in.
    assert posted["obs.weights.0.class"] and posted["obs.weights.0.density_uncertainty"] == "0"

    answer = client.post(f"/jobs/{job.id}/preview", data=posted, headers={"Accept": "application/json"}).get_json()
    assert answer["complete"] is True, answer
    assert answer["result"]["values"]["budget"]

    saved = client.post(f"/jobs/{job.id}/record", data=posted)
    assert saved.status_code == 302, saved.get_data(as_text=True)
    record = session.scalar(select(MeasurementRecord).where(MeasurementRecord.job_id == job.id))
    assert "weights" not in record.observations and record.observations["weight"]["nominal"] == "10 kg"

    page = client.get(saved.headers["Location"]).get_data(as_text=True)
    assert 'data-testid="record-budget"' in page and 'data-testid="record-expanded-uncertainty"' in page
    table = page[page.index('data-testid="record-table-weights"') :]
    table = table[: table.index("</table>")]
    assert "True" not in table and "False" not in table and "Đạt" in table
    assert "{" not in table  # quantities as value and unit, not as a dictionary


# --- finding 11: refusals lose nothing --------------------------------------------------------------------------

PDF = b"%PDF-1.4\n%%EOF\n"


def test_finding_11_every_field_error_comes_back_at_once_with_what_was_typed(client, login):
    login("technician")
    response = client.post("/customers/new", data={"name": "", "tax_code": "2100123457", "email": "không-phải-thư"})
    page = response.get_data(as_text=True)
    assert response.status_code == 400
    assert 'data-testid="error-name"' in page and 'data-testid="error-email"' in page
    assert 'value="không-phải-thư"' in page and 'value="2100123457"' in page


def test_finding_11_a_refused_calibration_keeps_its_attached_pdf_until_it_is_accepted(client, session, login):
    import hashlib
    import io
    import re
    from datetime import timedelta

    from lims.core.dates import lab_today
    from lims.standards.models import StandardCalibration
    from lims.standards.services import register_standard

    manager = login("manager")
    standard = register_standard(session, manager, code="NK-01", name="Nhiệt kế chuẩn", kind="other")
    session.commit()
    today = lab_today()
    data = {
        "certificate_number": "KL3-2026/777",
        "calibrating_lab": "QUATEST 3",
        "calibrated_on": (today + timedelta(days=5)).isoformat(),  # refused: in the future
        "value_unit": "mg",
    }
    url = f"/standards/{standard.id}/calibrations/new"
    refused = client.post(
        url, data=data | {"document": (io.BytesIO(PDF), "gcn.pdf")}, content_type="multipart/form-data"
    )
    page = refused.get_data(as_text=True)
    assert refused.status_code == 422 and 'data-testid="error-calibrated_on"' in page
    kept = re.search(r'name="document__kept" value="([0-9a-f]{64}) gcn.pdf"', page)
    assert kept and kept.group(1) == hashlib.sha256(PDF).hexdigest()
    assert 'data-testid="kept-document"' in page
    assert session.scalars(select(StandardCalibration)).all() == []

    # Sent again with the date corrected and no file chosen: the kept file is the one stored.
    data |= {"calibrated_on": today.isoformat(), "document__kept": f"{kept.group(1)} gcn.pdf"}
    accepted = client.post(url, data=data, content_type="multipart/form-data")
    assert accepted.status_code == 302, accepted.get_data(as_text=True)
    calibration = session.scalar(select(StandardCalibration))
    assert calibration.document_sha256 == hashlib.sha256(PDF).hexdigest()


def test_finding_11_a_refused_form_on_a_busy_page_comes_back_typed_and_not_effective_asks_first(
    client, session, login, make_user
):
    from datetime import date

    from lims.quality import services as quality

    login("manager")
    technician = make_user("technician")
    case = quality.raise_nonconformity(
        session, SYSTEM, kind="nonconformity", title="Nhiệt độ vượt", description="26 °C", raised_on=date(2026, 5, 4)
    )
    quality.plan_corrective_action(
        session,
        SYSTEM,
        case,
        root_cause="Điều hòa hỏng",
        owner_id=technician.id,
        due_on=date(2026, 5, 30),
        actions=["Sửa"],
    )
    quality.complete_action(session, SYSTEM, case.actions[0], date(2026, 5, 20), None)
    session.commit()
    url = f"/quality/nonconformities/{case.id}"
    typed = {"review": "Nhiệt độ vẫn vượt 25 °C vào buổi chiều", "reviewed_on": "2026-06-01"}
    response = client.post(f"{url}/review", data=typed, headers={"Referer": f"http://localhost{url}"})
    assert response.status_code == 302
    session.expire_all()
    assert case.status == "review"  # unticking "effective" reopened nothing without being asked
    page = client.get(url).get_data(as_text=True)
    assert typed["review"] in page and 'data-testid="error-confirm_reopen"' in page

    confirmed = typed | {"confirm_reopen": "y"}
    client.post(f"{url}/review", data=confirmed, headers={"Referer": f"http://localhost{url}"})
    session.expire_all()
    assert case.status == "action"
    assert "sự không phù hợp được mở lại" in client.get(url).get_data(as_text=True)


def test_finding_11_deletes_ask_first_and_saves_say_so(client, session, login):
    login("technician")
    owner = services.create_organisation(session, SYSTEM, name="Công ty Hưng Thịnh", tax_code="2100123457")
    session.commit()
    url = f"/customers/{owner.id}"
    page = client.post(f"{url}/contacts", data={"name": "Võ Minh Tâm"}, follow_redirects=True).get_data(as_text=True)
    assert "Đã thêm người liên hệ Võ Minh Tâm." in page
    assert 'data-confirm="Xóa người liên hệ Võ Minh Tâm?"' in page and "/static/lims.js" in page


# --- finding 13: QR links follow the address served in development --------------------------------------------


def test_finding_13_qr_links_follow_the_host_and_port_served_unless_a_public_url_is_set(app_context, monkeypatch):
    from lims.core.links import public_url
    from lims.issuing.services import verification_url

    monkeypatch.setitem(app_context.config, "PUBLIC_URL", "")
    with app_context.test_request_context("/", base_url="http://127.0.0.1:5001"):
        assert verification_url("abc") == "http://127.0.0.1:5001/v/abc"
    monkeypatch.setitem(app_context.config, "ENV", "production")
    with app_context.test_request_context("/", base_url="http://attacker.example"):
        assert public_url() == "http://127.0.0.1:5000"  # production never takes the Host header's word
    monkeypatch.setitem(app_context.config, "PUBLIC_URL", "https://lims.example.gov.vn")
    with app_context.test_request_context("/", base_url="http://127.0.0.1:5001"):
        assert verification_url("abc") == "https://lims.example.gov.vn/v/abc"


# --- finding 8: receiving at the counter ------------------------------------------------------------------------


def test_finding_8_the_picker_finds_instruments_by_words_without_accents_and_by_label(client, session, lab):
    from tests.lims.test_jobs_pages import sign_in

    sign_in(client, lab["manager"])

    def picked(typed, **args):
        query = "&".join(f"{key}={value}" for key, value in ({"q": typed} | args).items())
        return [found["id"] for found in client.get(f"/jobs/requests/instruments?{query}").get_json()["instruments"]]

    assert picked("can do s-001") == [lab["scale"].id]  # the enterprise "Cân Đo" and the serial, no accents
    assert picked("qua can") == [lab["weight"].id]  # the type "Quả cân M1"
    assert picked(lab["weight"].label_code) == [lab["weight"].id]  # a label's code, typed or scanned
    assert picked(f"http://lims.test/customers/instruments/{lab['scale'].id}") == [lab["scale"].id]  # its QR
    assert picked("") == []  # nothing typed, no enterprise chosen: not the whole register
    other = services.create_organisation(session, SYSTEM, name="Nhà máy khác", tax_code="2100781230")
    session.commit()
    assert picked("s-001", organisation_id=other.id) == []  # within the enterprise chosen


def test_finding_8_receiving_from_an_instrument_starts_its_request_and_takes_as_many_rows_as_needed(
    client, session, lab
):
    from lims.jobs.models import ServiceRequest
    from tests.lims.test_jobs_pages import sign_in

    sign_in(client, lab["manager"])
    page = client.get(f"/customers/instruments/{lab['scale'].id}").get_data(as_text=True)
    assert f"/jobs/requests/new?instrument_id={lab['scale'].id}" in page  # "Tiếp nhận"
    assert f"/jobs/requests/new?organisation_id={lab['enterprise'].id}" in client.get(
        f"/customers/{lab['enterprise'].id}"
    ).get_data(as_text=True)
    form = client.get(f"/jobs/requests/new?instrument_id={lab['scale'].id}").get_data(as_text=True)
    assert f'name="items-0-instrument_id" value="{lab["scale"].id}"' in form
    assert 'value="initial_verification" data-kind="verification" selected' in form
    assert 'value="scale-verification-r76" data-kind="verification" selected' in form
    assert "S-001" in form and "<option" in form and 'data-testid="item-instrument-1"' not in form  # one row

    # Seven rows: as many as the receiver added (the form once had five fixed ones).
    extra = [
        InstrumentType(code=f"T-{n}", name_vi=f"Loại {n}", name_en=f"Type {n}", procedure_keys="weight-comparison-r111")
        for n in range(7)
    ]
    weights = [
        Instrument(organisation=lab["enterprise"], instrument_type=kind, serial=f"W-{n}", unit="kg")
        for n, kind in enumerate(extra)
    ]
    session.add_all(weights)
    session.commit()
    data = {"organisation_id": str(lab["enterprise"].id), "place": "lab", "decision_rule": "simple"}
    for row, weight in enumerate(weights):
        data |= {
            f"items-{row}-instrument_id": str(weight.id),
            f"items-{row}-service": "calibration",
            f"items-{row}-procedure_key": "weight-comparison-r111",
        }
    response = client.post("/jobs/requests/new", data=data)
    assert response.status_code == 302, response.get_data(as_text=True)
    assert len(session.scalar(select(ServiceRequest)).items) == 7


def test_finding_8_an_instrument_label_carries_its_code_and_a_qr_code_opening_it(client, session, lab):
    from tests.lims.test_jobs_pages import sign_in

    sign_in(client, lab["technician"])
    scale = lab["scale"]
    page = client.get(f"/customers/instruments/{scale.id}/label").get_data(as_text=True)
    assert scale.label_code in page and "<svg" in page and 'data-testid="label-print"' in page
    assert f'data-address="http://lims.test/customers/instruments/{scale.id}"' in page
    found = client.get(f"/customers/instruments?q={scale.label_code}")
    assert found.status_code == 302 and found.headers["Location"].endswith(f"/customers/instruments/{scale.id}")


def test_finding_8_the_type_list_finds_without_accents(session):
    services.seed_catalogue(session, SYSTEM)
    session.commit()
    names = [t.name_vi for t in session.scalars(queries.instrument_types_query(search="ap ke"))]
    assert names and all("áp kế" in name.lower() for name in names)
