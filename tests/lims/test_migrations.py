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
        downgrade(revision="base")
        with db.engine.connect() as connection:
            remaining = set(db.inspect(connection).get_table_names()) - {"alembic_version"}
        assert remaining == set()
        upgrade()
