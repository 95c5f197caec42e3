"""Fixtures shared by the integration and browser tests: the app on SQLite and on PostgreSQL.

Every test that uses `app` runs twice, once per database. Each test run creates its own databases (unique names)
and drops them at the end, so parallel runs and fresh clones never share state.
"""

import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa

POSTGRES_ADMIN_URL = os.environ.get("LIMS_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1/postgres")
TEST_PASSWORD = "correct-horse-battery"  # noqa: S105
BACKENDS = ["sqlite", "postgresql"]
if os.environ.get("LIMS_TEST_BACKENDS"):
    BACKENDS = os.environ["LIMS_TEST_BACKENDS"].split(",")


class PostgresDatabases:
    """Creates uniquely named databases on the PostgreSQL server and drops them afterwards."""

    def __init__(self) -> None:
        self.engine = sa.create_engine(POSTGRES_ADMIN_URL, isolation_level="AUTOCOMMIT", poolclass=sa.pool.NullPool)
        self.created: list[str] = []

    def create(self, label: str) -> str:
        name = f"lims_test_{label}_{os.getpid()}_{uuid.uuid4().hex[:8]}"
        with self.engine.connect() as connection:
            connection.execute(sa.text(f'CREATE DATABASE "{name}"'))
        self.created.append(name)
        return sa.make_url(POSTGRES_ADMIN_URL).set(database=name).render_as_string(hide_password=False)

    def drop_all(self) -> None:
        with self.engine.connect() as connection:
            for name in self.created:
                connection.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        self.engine.dispose()


@pytest.fixture(scope="session")
def postgres_databases() -> Iterator[PostgresDatabases]:
    databases = PostgresDatabases()
    yield databases
    databases.drop_all()


@pytest.fixture(scope="session")
def new_database_url(tmp_path_factory, request):
    """Return a function making a new empty database of a backend: `new_database_url("sqlite", "label")`."""

    def make(backend: str, label: str = "db") -> str:
        if backend == "sqlite":
            return f"sqlite:///{tmp_path_factory.mktemp(label) / 'lims.sqlite3'}"
        return request.getfixturevalue("postgres_databases").create(label)

    return make


def make_config(database_url: str, instance: Path, **overrides):
    from lims.config import Config

    settings = dict(
        ENV="testing",
        TESTING=True,
        SECRET_KEY="test-secret-key-that-is-long-enough-0123456789",
        SQLALCHEMY_DATABASE_URI=database_url,
        INSTANCE_PATH=str(instance),
        AUDIT_ANCHOR_KEY_PATH=str(instance / "keys" / "audit-anchor.pem"),
        SIGNING_KEY_PATH=str(instance / "keys" / "lab-signing.p12"),
        UPLOAD_PATH=str(instance / "files"),
        PUBLIC_URL="http://lims.test",
        WTF_CSRF_ENABLED=False,
    )
    settings.update(overrides)
    return Config(**settings)


def upgrade_to_head(app) -> None:
    from flask_migrate import upgrade

    with app.app_context():
        upgrade()


@pytest.fixture(scope="session", params=BACKENDS)
def backend(request) -> str:
    return request.param


@pytest.fixture(scope="session")
def app(backend, new_database_url, tmp_path_factory):
    """The application on a migrated database of the current backend (one per backend per test run)."""
    from lims.app import create_app

    instance = tmp_path_factory.mktemp(f"instance-{backend}")
    app = create_app(make_config(new_database_url(backend, "app"), instance))
    upgrade_to_head(app)
    yield app
    with app.app_context():
        from lims.extensions import db

        db.engine.dispose()


def _empty_all_tables(app) -> None:
    from lims.extensions import db

    with app.app_context():
        db.session.remove()
        with db.engine.begin() as connection:
            for table in reversed(db.metadata.sorted_tables):
                connection.execute(table.delete())


@pytest.fixture()
def app_context(app):
    """An application context on an empty database, emptied again after the test."""
    from lims.core.limits import limiter
    from lims.extensions import db

    with app.app_context():
        yield app
        db.session.remove()
        limiter.reset()  # counts of public look-ups are kept in memory, not in the tables emptied below
    _empty_all_tables(app)


@pytest.fixture()
def session(app_context):
    from lims.extensions import db

    return db.session


@pytest.fixture()
def client(app_context):
    return app_context.test_client()


@pytest.fixture()
def make_organisation(session):
    from lims.customers.models import Organisation

    counter = iter(range(1, 10_000))

    def make(name: str | None = None, kind: str = "enterprise", **fields) -> Organisation:
        number = next(counter)
        organisation = Organisation(name=name or f"Doanh nghiệp số {number}", kind=kind, **fields)
        session.add(organisation)
        session.flush()
        return organisation

    return make


@pytest.fixture()
def make_user(session, make_organisation):
    """Create an account with the given roles (an enterprise account gets an organisation if none is given)."""
    from lims.auth.permissions import SYSTEM
    from lims.auth.services import create_user

    counter = iter(range(1, 10_000))

    def make(*roles: str, username: str | None = None, organisation=None, **fields):
        roles = roles or ("technician",)
        if "enterprise" in roles and organisation is None:
            organisation = make_organisation()
        user = create_user(
            session,
            SYSTEM,
            username=username or f"{roles[0]}{next(counter)}",
            full_name=fields.pop("full_name", f"Người dùng {roles[0]}"),
            password=fields.pop("password", TEST_PASSWORD),
            roles=roles,
            organisation_id=organisation.id if organisation else None,
            **fields,
        )
        session.commit()
        return user

    return make


@pytest.fixture()
def login(client, make_user):
    """Sign in as a new account with the given roles; returns the account."""

    def sign_in(*roles: str, **fields):
        user = make_user(*roles, **fields)
        response = client.post("/login", data={"username": user.username, "password": TEST_PASSWORD})
        assert response.status_code == 302, response.data
        return user

    return sign_in
