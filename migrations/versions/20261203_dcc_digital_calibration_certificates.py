"""issuing: a calibration certificate's DCC (XML) stored by SHA-256 beside its PDF

Revision ID: 20261203_dcc
Revises: science_second_look
Create Date: 2026-12-03 15:40:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '20261203_dcc'
down_revision = 'science_second_look'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('certificate', schema=None) as batch_op:
        batch_op.add_column(sa.Column('dcc_sha256', sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column('dcc_size', sa.Integer(), nullable=True))
        batch_op.create_index(batch_op.f('ix_certificate_dcc_sha256'), ['dcc_sha256'], unique=False)


def downgrade():
    with op.batch_alter_table('certificate', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_certificate_dcc_sha256'))
        batch_op.drop_column('dcc_size')
        batch_op.drop_column('dcc_sha256')
