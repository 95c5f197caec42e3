"""words: every status column holds one of its codes (CHECK constraints matching the models' StrEnums)

Revision ID: 20261203e_words_status_checks
Revises: 20261203e_procdata2_units
Create Date: 2026-12-03 19:00:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '20261203e_words_status_checks'
down_revision = '20261203e_procdata2_units'
branch_labels = None
depends_on = None

JOB = ('received', 'scheduled', 'in_progress', 'measured', 'reviewed', 'certified', 'returned', 'on_hold', 'cancelled')
STANDARD = ('in_service', 'out_for_calibration', 'quarantined', 'retired')
CHANNEL = ('email', 'letter')

# (table, column, constraint name as the naming convention writes it, allowed codes); written out here, not read
# from the models, so that this revision keeps meaning what it meant when the models change.
CHECKS = (
    ('service_request', 'status', 'ck_service_request_status', ('submitted', 'accepted', 'declined', 'cancelled')),
    ('job', 'status', 'ck_job_status', JOB),
    ('job', 'status_before_hold', 'ck_job_status_before_hold', JOB),
    ('measurement_record', 'stage', 'ck_measurement_record_stage', ('as_found', 'as_left')),
    ('assurance_enrolment', 'status', 'ck_assurance_enrolment_status', ('surveyed', 'enrolled', 'completed', 'withdrawn')),
    ('outbox_message', 'channel', 'ck_outbox_message_channel', CHANNEL),
    ('outbox_message', 'status', 'ck_outbox_message_status', ('queued', 'sent', 'failed', 'printed')),
    ('reminder_log', 'channel', 'ck_reminder_log_channel', CHANNEL),
    ('nonconformity', 'status', 'ck_nonconformity_status', ('open', 'action', 'review', 'closed')),
    ('standard', 'status', 'ck_standard_status', STANDARD),
    ('standard_status_change', 'from_status', 'ck_standard_status_change_from_status', STANDARD),
    ('standard_status_change', 'to_status', 'ck_standard_status_change_to_status', STANDARD),
)


def _condition(column, codes):
    # The form SQLAlchemy's Enum type writes, so that a database made by create_all and one made by migrating agree.
    return f"{column} IN ({', '.join(repr(code) for code in codes)})"


def upgrade():
    connection = op.get_bind()
    # Refuse before changing anything when a row holds a code outside its set: say which, so it can be corrected.
    strays = []
    for table_name, column, _name, codes in CHECKS:
        table = sa.table(table_name, sa.column(column))
        found = connection.execute(
            sa.select(table.c[column]).where(table.c[column].is_not(None), table.c[column].not_in(codes)).distinct()
        ).scalars().all()
        strays += [f'{table_name}.{column} = {value!r}' for value in found]
    if strays:
        raise RuntimeError('codes outside their sets, correct them first: ' + ', '.join(strays))
    for table_name in dict.fromkeys(table for table, *_ in CHECKS):
        with op.batch_alter_table(table_name, schema=None) as batch_op:
            for _table, column, name, codes in (check for check in CHECKS if check[0] == table_name):
                batch_op.create_check_constraint(batch_op.f(name), _condition(column, codes))


def downgrade():
    for table_name in reversed(dict.fromkeys(table for table, *_ in CHECKS)):
        with op.batch_alter_table(table_name, schema=None) as batch_op:
            for _table, _column, name, _codes in (check for check in CHECKS if check[0] == table_name):
                batch_op.drop_constraint(batch_op.f(name), type_='check')
