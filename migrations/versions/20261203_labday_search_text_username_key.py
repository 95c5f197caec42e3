"""labday: folded search text (accents, case, Unicode form) and usernames unique regardless of case

Revision ID: 20261203_labday_search
Revises: science_methods
Create Date: 2026-12-03 15:28:11.026247

"""
from alembic import op
import sqlalchemy as sa

from lims.auth.models import username_key
from lims.core.search import fold


# revision identifiers, used by Alembic.
revision = '20261203_labday_search'
down_revision = 'science_methods'
branch_labels = None
depends_on = None

# The columns each table's search_text folds, as the models' __search_fields__ name them today.
SEARCHED = {
    'certificate': ('number', 'customer_name', 'instrument_summary'),
    'instrument': ('serial', 'model', 'maker', 'location'),
    'instrument_type': ('code', 'name_vi', 'name_en'),
    'organisation': ('name', 'tax_code', 'address', 'province'),
    'standard': ('code', 'name', 'serial', 'maker', 'model'),
}


def _backfill(table_name, columns):
    connection = op.get_bind()
    table = sa.table(table_name, sa.column('id'), sa.column('search_text'), *(sa.column(c) for c in columns))
    rows = connection.execute(sa.select(table.c.id, *(table.c[c] for c in columns))).all()
    for row in rows:
        text = fold(' '.join(str(value) for value in row[1:] if value))
        connection.execute(table.update().where(table.c.id == row[0]).values(search_text=text))


def upgrade():
    for table_name, columns in SEARCHED.items():
        with op.batch_alter_table(table_name, schema=None) as batch_op:
            batch_op.add_column(sa.Column('search_text', sa.Text(), server_default='', nullable=False))
        _backfill(table_name, columns)

    with op.batch_alter_table('user_account', schema=None) as batch_op:
        batch_op.add_column(sa.Column('username_key', sa.String(length=160), nullable=True))
    connection = op.get_bind()
    users = sa.table('user_account', sa.column('id'), sa.column('username'), sa.column('username_key'))
    # Accounts differing only by case, if any exist, make the unique constraint below fail: merge them first.
    for user_id, username in connection.execute(sa.select(users.c.id, users.c.username)).all():
        key = username_key(username)
        connection.execute(users.update().where(users.c.id == user_id).values(username_key=key))
    with op.batch_alter_table('user_account', schema=None) as batch_op:
        batch_op.alter_column('username_key', existing_type=sa.String(length=160), nullable=False)
        batch_op.create_unique_constraint(batch_op.f('uq_user_account_username_key'), ['username_key'])


def downgrade():
    with op.batch_alter_table('user_account', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('uq_user_account_username_key'), type_='unique')
        batch_op.drop_column('username_key')

    for table_name in reversed(list(SEARCHED)):
        with op.batch_alter_table(table_name, schema=None) as batch_op:
            batch_op.drop_column('search_text')
