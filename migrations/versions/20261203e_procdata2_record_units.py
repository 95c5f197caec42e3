"""record units: the job of each instrument on a bench record (several units under test)

Revision ID: 20261203e_procdata2_units
Revises: 20261203e_procdata2
Create Date: 2026-12-03 19:05:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '20261203e_procdata2_units'
down_revision = '20261203e_procdata2'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('record_unit',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('record_id', sa.Integer(), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.Column('job_id', sa.Integer(), nullable=False),
    sa.Column('passed', sa.Boolean(), nullable=True),
    sa.ForeignKeyConstraint(['job_id'], ['job.id'], name=op.f('fk_record_unit_job_id_job')),
    sa.ForeignKeyConstraint(['record_id'], ['measurement_record.id'], name=op.f('fk_record_unit_record_id_measurement_record')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_record_unit')),
    sa.UniqueConstraint('record_id', 'job_id', name=op.f('uq_record_unit_record_id_job_id')),
    sa.UniqueConstraint('record_id', 'position', name=op.f('uq_record_unit_record_id_position'))
    )
    with op.batch_alter_table('record_unit', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_record_unit_job_id'), ['job_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_record_unit_record_id'), ['record_id'], unique=False)


def downgrade():
    with op.batch_alter_table('record_unit', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_record_unit_record_id'))
        batch_op.drop_index(batch_op.f('ix_record_unit_job_id'))

    op.drop_table('record_unit')
