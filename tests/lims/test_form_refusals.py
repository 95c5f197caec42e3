"""A refused form names the field it refused and saves nothing (the shared refuse_invalid of lims.core.forms)."""

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
