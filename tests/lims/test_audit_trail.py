"""Every change writes a chained audit event; tampering of any kind is caught and named."""

import json
import threading
import unicodedata

import pytest
from sqlalchemy import select, text, update

from lims.audit.models import AuditEvent
from lims.audit.services import anchor_chain, verify_chain, verify_since_anchor
from lims.audit.trail import audit_reason
from lims.customers.models import Organisation
from lims.extensions import db


def _events(session, entity=None):
    query = select(AuditEvent).order_by(AuditEvent.seq)
    if entity:
        query = query.where(AuditEvent.entity == entity)
    return session.scalars(query).all()


def _make_history(session, count=5):
    for number in range(count):
        session.add(Organisation(name=f"Cơ sở {number}", kind="enterprise"))
    session.commit()
    organisation = session.scalars(select(Organisation).order_by(Organisation.id)).first()
    with audit_reason("đổi tên theo giấy phép mới"):
        organisation.name = "Cơ sở đã đổi tên"
        session.commit()
    return organisation


def test_insert_update_delete_each_write_an_event_with_old_and_new_values(session):
    organisation = Organisation(name="Chợ Trà Vinh", kind="enterprise")
    session.add(organisation)
    session.commit()
    with audit_reason("sửa địa chỉ"):
        organisation.address = "Phường 3"
        session.commit()
    session.delete(organisation)
    session.commit()

    inserted, updated, deleted = _events(session, "organisation")
    assert (inserted.action, updated.action, deleted.action) == ("insert", "update", "delete")
    assert inserted.entity_id == str(organisation.id)
    assert json.loads(inserted.payload)["changes"]["name"] == "Chợ Trà Vinh"
    assert json.loads(updated.payload)["changes"] == {"address": [None, "Phường 3"]}
    assert updated.reason == "sửa địa chỉ"
    assert json.loads(deleted.payload)["changes"]["address"] == "Phường 3"
    assert verify_chain(session).ok


def test_a_rolled_back_change_leaves_no_event_and_no_gap(session):
    _make_history(session, 2)
    before = len(_events(session))
    session.add(Organisation(name="Bị hủy", kind="enterprise"))
    session.flush()
    session.rollback()
    session.add(Organisation(name="Được lưu", kind="enterprise"))
    session.commit()
    seqs = [event.seq for event in _events(session)]
    assert seqs == list(range(1, before + 2))
    assert verify_chain(session).ok


def test_password_hashes_are_redacted_in_the_trail(session, make_user):
    user = make_user("technician")
    event = next(e for e in _events(session, "user_account") if e.entity_id == str(user.id))
    assert json.loads(event.payload)["changes"]["password_hash"] == "[redacted]"


def test_text_is_stored_nfc_normalised(session):
    decomposed = unicodedata.normalize("NFD", "Cân đồng hồ lò xo")
    organisation = Organisation(name=decomposed, kind="enterprise")
    session.add(organisation)
    session.commit()
    session.expire_all()
    stored = session.get(Organisation, organisation.id).name
    assert stored == unicodedata.normalize("NFC", stored) == "Cân đồng hồ lò xo"


def test_times_come_back_zone_aware_in_utc(session):
    organisation = Organisation(name="Giờ", kind="enterprise")
    session.add(organisation)
    session.commit()
    session.expire_all()
    created = session.get(Organisation, organisation.id).created_at
    assert created.tzinfo is not None and created.utcoffset().total_seconds() == 0


@pytest.mark.parametrize(
    ("tamper", "expected"),
    [
        (
            "UPDATE audit_event SET payload = replace(payload, 'Cơ sở 2', 'Cơ sở X') WHERE seq = 3",
            "event 3 was altered",
        ),
        ("UPDATE audit_event SET actor = 'someone-else' WHERE seq = 2", "event 2 was altered"),
        ("UPDATE audit_event SET reason = NULL WHERE seq = 6", "event 6 was altered"),
        ("DELETE FROM audit_event WHERE seq = 4", "event 4 is missing"),
    ],
)
def test_tampering_with_an_event_is_caught_and_named(session, tamper, expected):
    _make_history(session)
    session.execute(text(tamper))
    session.commit()
    result = verify_chain(session)
    assert not result.ok
    assert expected in result.problem


def test_reordering_events_is_caught(session):
    _make_history(session)
    # Swap events 2 and 3 (through a free number, because seq is the primary key).
    session.execute(text("UPDATE audit_event SET seq = 1000 WHERE seq = 2"))
    session.execute(text("UPDATE audit_event SET seq = 2 WHERE seq = 3"))
    session.execute(text("UPDATE audit_event SET seq = 3 WHERE seq = 1000"))
    session.commit()
    result = verify_chain(session)
    assert not result.ok and result.first_bad_seq == 2


def test_an_event_inserted_with_a_recomputed_hash_is_still_caught_by_the_next_link(session):
    _make_history(session)
    last = _events(session)[-1]
    session.execute(update(AuditEvent).where(AuditEvent.seq == 3).values(hash="f" * 64))
    session.commit()
    result = verify_chain(session)
    assert not result.ok and result.first_bad_seq == 3
    assert last.seq > 3


def test_a_truncated_tail_is_caught_by_the_signed_checkpoint(session):
    _make_history(session)
    anchor_chain(session)
    session.commit()
    assert verify_chain(session).ok
    head = _events(session)[-1].seq
    session.execute(text(f"DELETE FROM audit_event WHERE seq >= {head - 1}"))
    session.commit()
    result = verify_chain(session)
    assert not result.ok
    assert "truncated" in result.problem


def test_a_forged_checkpoint_signature_is_caught(session):
    _make_history(session)
    anchor = anchor_chain(session)
    session.commit()
    anchor.hash = "0" * 64
    session.commit()
    result = verify_chain(session)
    assert not result.ok and "signature" in result.problem


def test_cli_verify_exits_0_when_intact_and_1_naming_the_event_when_not(app_context, session):
    _make_history(session)
    runner = app_context.test_cli_runner()
    ok = runner.invoke(args=["audit", "verify"])
    assert ok.exit_code == 0 and "6 events" in ok.output
    session.execute(text("UPDATE audit_event SET entity = 'x' WHERE seq = 5"))
    session.commit()
    broken = runner.invoke(args=["audit", "verify"])
    assert broken.exit_code == 1
    assert "event 5" in broken.output


def test_the_daily_check_starts_at_the_last_checkpoint_and_full_reads_everything(app_context, session):
    _make_history(session)
    anchor = anchor_chain(session)
    session.commit()
    session.add(Organisation(name="Sau mốc", kind="enterprise"))
    session.commit()
    since = verify_since_anchor(session)
    assert since.ok and since.checked == 1 and since.head_seq == anchor.seq + 1
    assert since.head_hash == verify_chain(session).head_hash
    # After the checkpoint: recomputed, caught.
    session.execute(text(f"UPDATE audit_event SET entity = 'x' WHERE seq = {anchor.seq + 1}"))
    session.commit()
    assert not verify_since_anchor(session).ok
    session.execute(text(f"UPDATE audit_event SET entity = 'organisation' WHERE seq = {anchor.seq + 1}"))
    # Before it: the event under the checkpoint is read again; an earlier one needs --full.
    session.execute(text(f"UPDATE audit_event SET hash = '{'e' * 64}' WHERE seq = {anchor.seq}"))
    session.commit()
    assert "differs from the signed checkpoint" in verify_since_anchor(session).problem
    session.execute(text(f"UPDATE audit_event SET hash = '{anchor.hash}' WHERE seq = {anchor.seq}"))
    session.execute(text("UPDATE audit_event SET actor = 'someone-else' WHERE seq = 2"))
    session.commit()
    runner = app_context.test_cli_runner()
    assert runner.invoke(args=["audit", "verify"]).exit_code == 0
    full = runner.invoke(args=["audit", "verify", "--full"])
    assert full.exit_code == 1 and "event 2" in full.output


def test_concurrent_writers_never_fork_the_chain(app_context, backend):
    if backend != "postgresql":
        pytest.skip("SQLite has a single writer; concurrency of the chain is a PostgreSQL question")
    app = app_context
    errors = []

    def writer(number: int) -> None:
        try:
            with app.app_context():
                for round_ in range(10):
                    db.session.add(Organisation(name=f"Luồng {number} lượt {round_}", kind="enterprise"))
                    db.session.commit()
                db.session.remove()
        except Exception as exc:  # collected and asserted below
            errors.append(exc)

    threads = [threading.Thread(target=writer, args=(number,)) for number in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    seqs = [event.seq for event in _events(db.session)]
    assert seqs == list(range(1, 61))
    assert verify_chain(db.session).ok
