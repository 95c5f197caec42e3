"""The migrations build the schema the models describe, on both databases, from one head."""

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from flask_migrate import downgrade, upgrade

from tests.conftest import BACKENDS, make_config


@pytest.fixture(params=BACKENDS)
def fresh_app(request, new_database_url, tmp_path):
    from lims.app import create_app

    app = create_app(make_config(new_database_url(request.param, "migrations"), tmp_path))
    yield app
    with app.app_context():
        from lims.extensions import db

        db.engine.dispose()


def test_there_is_a_single_migration_head(fresh_app):
    with fresh_app.app_context():
        script = ScriptDirectory.from_config(fresh_app.extensions["migrate"].migrate.get_config())
        assert len(script.get_heads()) == 1, script.get_heads()


def test_upgrade_from_empty_gives_exactly_the_models_schema(fresh_app):
    from lims.extensions import db

    with fresh_app.app_context():
        upgrade()
        with db.engine.connect() as connection:
            context = MigrationContext.configure(connection, opts={"compare_type": True})
            differences = compare_metadata(context, db.metadata)
        assert differences == [], "models and migrations disagree: run `lims db migrate` and review it"


def test_downgrade_to_base_and_upgrade_again(fresh_app):
    from lims.extensions import db

    with fresh_app.app_context():
        upgrade()
        # The migrations seed rows (numbering series, settings): dropping them needs the explicit flag.
        downgrade(revision="base", x_arg=["allow_destructive=1"])
        with db.engine.connect() as connection:
            remaining = set(db.inspect(connection).get_table_names()) - {"alembic_version"}
        assert remaining == set()
        upgrade()


def test_a_downgrade_dropping_tables_that_hold_records_is_refused_before_anything_changes(fresh_app, monkeypatch):
    import sqlalchemy as sa

    from lims.extensions import db

    monkeypatch.delenv("LIMS_ALLOW_DESTRUCTIVE_DOWNGRADE", raising=False)
    with fresh_app.app_context():
        upgrade()
        with db.engine.begin() as connection:
            tables_before = set(db.inspect(connection).get_table_names())
            head = connection.scalar(sa.text("SELECT version_num FROM alembic_version"))
            connection.execute(sa.text("DELETE FROM numbering_series"))
            connection.execute(sa.text("INSERT INTO numbering_series (key, number_format) VALUES ('x', '{seq}')"))
        with pytest.raises(SystemExit):  # Flask-Migrate reports the refusal and exits 1
            downgrade(revision="0005")
        with db.engine.connect() as connection:
            assert set(db.inspect(connection).get_table_names()) == tables_before
            assert connection.scalar(sa.text("SELECT version_num FROM alembic_version")) == head
            assert connection.scalar(sa.text("SELECT count(*) FROM numbering_series")) == 1
        monkeypatch.setenv("LIMS_ALLOW_DESTRUCTIVE_DOWNGRADE", "1")
        downgrade(revision="0005")
        with db.engine.connect() as connection:
            assert "numbering_series" not in db.inspect(connection).get_table_names()


def test_the_guard_reads_which_tables_a_downgrade_drops():
    from lims.ops.migration_guard import tables_dropped_by

    def downgrade():  # the shape Alembic writes
        op.drop_table("certificate")  # noqa: F821
        op.drop_table('sticker_batch')  # noqa: F821

    assert tables_dropped_by(downgrade) == ["certificate", "sticker_batch"]
