"""A refused form names the field it refused and saves nothing (the shared refuse_invalid of lims.core.forms)."""

import pytest

from lims.customers.models import OutboxMessage


def test_a_refused_form_names_the_field_and_saves_nothing(client, login, session):
    login("manager")
    response = client.post(
        "/customers/outbox/queue", data={"days": "9999", "channel": "email"}, headers={"Accept": "application/json"}
    )
    assert response.status_code == 422
    body = response.get_json()
    assert body["field"] == "days"
    assert "Đến hạn trong (ngày)" in body["error"]
    assert session.query(OutboxMessage).count() == 0


def test_number_fields_read_a_decimal_comma_and_refuse_a_mixed_one():
    from werkzeug.datastructures import MultiDict
    from wtforms import Form

    from lims.core.forms import LocalDecimalField, LocalFloatField

    class Reading(Form):
        temperature = LocalFloatField()
        correction = LocalDecimalField(places=None)

    form = Reading(MultiDict({"temperature": "22,4", "correction": "-0,0012"}))
    assert form.validate() and form.temperature.data == 22.4 and str(form.correction.data) == "-0.0012"
    form = Reading(MultiDict({"temperature": "1.000,5", "correction": "1,000.25"}))  # thousands grouped
    assert form.validate() and form.temperature.data == 1000.5 and str(form.correction.data) == "1000.25"
    form = Reading(MultiDict({"temperature": "1,00.5", "correction": "2,5.1"}))
    assert not form.validate() and set(form.errors) == {"temperature", "correction"}


@pytest.mark.parametrize(
    ("typed", "read"),
    [
        ("22,4", "22.4"),
        ("22.4", "22.4"),
        ("-0,0012", "-0.0012"),
        ("1.000,5", "1000.5"),
        ("12.345.678,9", "12345678.9"),
        ("1,000.5", "1000.5"),
        ("1.000", "1.000"),
        ("1,00.5", "1,00.5"),
        ("", ""),
    ],
)
def test_decimal_point_reads_vietnamese_and_english_habits(typed, read):
    from lims.core.numbers import decimal_point

    assert decimal_point(typed) == read


@pytest.mark.parametrize(
    ("language", "required", "integer"),
    [
        ("vi", "Cần nhập thông tin này.", "Không phải là số nguyên."),
        ("en", "This field is required.", "Not a valid integer value."),
    ],
)
def test_the_form_validators_own_messages_speak_the_pages_language(app, language, required, integer):
    import flask
    from wtforms import IntegerField, StringField
    from wtforms.validators import DataRequired

    from lims.core.forms import LabForm

    class Reading(LabForm):
        name = StringField(validators=[DataRequired()])
        count = IntegerField()

    with app.test_request_context(method="POST", data={"name": "", "count": "ba"}):
        flask.session["lang"] = language
        form = Reading(meta={"csrf": False})
        assert not form.validate()
        assert form.errors["name"] == [required]
        assert form.errors["count"] == [integer]
