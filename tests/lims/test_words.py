"""One label per code, a CHECK behind every status column, and the Vietnamese alphabetical order in Python and in
both databases."""

import pytest
import sqlalchemy as sa
from flask_babel import force_locale
from sqlalchemy.exc import IntegrityError

from lims.core.words import label, sort_vietnamese, vietnamese, vietnamese_key
from lims.jobs.models import JOB_STATES, JobStatus

# A Vietnamese dictionary's order: a ă â b c d đ e ê … o ô ơ … u ư, the tones only between otherwise equal words.
IN_ORDER = [
    "a",
    "à",
    "ả",
    "ã",
    "á",
    "ạ",
    "an",
    "Áp kế",
    "ăn",
    "ân",
    "bàn",
    "Cân",
    "dao",
    "đ",
    "Đồng hồ",
    "e",
    "ê",
    "ế",
    "o",
    "ô",
    "ơi",
    "u",
    "ư",
    "v",
    "Z",
]


def test_the_python_key_orders_as_a_vietnamese_dictionary():
    assert sorted(reversed(IN_ORDER), key=vietnamese_key) == IN_ORDER
    assert sort_vietnamese([("2", "Đồng hồ nước"), ("1", "Áp kế"), ("3", "Cân bàn")]) == [
        ("1", "Áp kế"),
        ("3", "Cân bàn"),
        ("2", "Đồng hồ nước"),
    ]


def test_the_database_orders_as_the_python_key(session):
    table = sa.Table("words_order", sa.MetaData(), sa.Column("word", sa.String(40)), prefixes=["TEMPORARY"])
    connection = session.connection()
    table.create(connection)
    try:
        connection.execute(table.insert(), [{"word": word} for word in reversed(IN_ORDER)])
        ordered = connection.execute(sa.select(table.c.word).order_by(vietnamese(table.c.word))).scalars().all()
    finally:
        table.drop(connection)
    assert ordered == IN_ORDER


def test_a_status_is_a_str_enum_with_one_label_in_each_language(app_context):
    assert JobStatus("in_progress") == "in_progress" and tuple(JobStatus) == tuple(JobStatus(s) for s in JOB_STATES)
    with force_locale("vi"):
        assert str(label(JobStatus.IN_PROGRESS)) == "Đang đo" and str(label("in_progress")) == "Đang đo"
    with force_locale("en"):
        assert str(label(JobStatus.IN_PROGRESS)) == "In progress"
        assert str(label("issued", "CertificateStatus")) == "Issued"
        assert str(label(True)) == "Yes" and label("not a code") == "not a code"


@pytest.mark.parametrize("status", ["queued", "bogus"])
def test_a_status_column_refuses_a_code_outside_its_set(session, status):
    from lims.core.model import utcnow
    from lims.customers.models import OutboxMessage, OutboxStatus

    row = {"channel": "email", "recipient": "a@b.vn", "subject": "s", "body": "b", "created_at": utcnow()}
    insert = sa.insert(OutboxMessage.__table__).values(status=status, **row)
    if status == "bogus":
        with pytest.raises(IntegrityError, match="ck_outbox_message_status|CHECK"):
            session.execute(insert)
        session.rollback()
        return
    session.execute(insert)
    message = session.scalars(sa.select(OutboxMessage)).one()
    assert message.status is OutboxStatus.QUEUED and message.channel == "email"
