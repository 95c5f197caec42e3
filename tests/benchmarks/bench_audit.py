"""Time to create 10,000 records through the ORM with and without the audit trail, on SQLite and PostgreSQL.

Records are saved in transactions of 100, as a busy lab's requests would.
Run: .venv/bin/python tests/benchmarks/bench_audit.py
"""

import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

import sqlalchemy as sa  # noqa: E402

from tests.conftest import POSTGRES_ADMIN_URL, PostgresDatabases, make_config, upgrade_to_head  # noqa: E402

RECORDS = 10_000
PER_TRANSACTION = 100


def create_records(app, audited: bool) -> float:
    from lims.customers.models import Organisation
    from lims.extensions import db

    with app.app_context():
        session = db.session
        session.info["audit_disabled"] = not audited
        started = time.perf_counter()
        for batch in range(RECORDS // PER_TRANSACTION):
            for number in range(PER_TRANSACTION):
                name = f"Doanh nghiệp {batch}-{number}"
                session.add(Organisation(name=name, kind="enterprise", province="Vĩnh Long"))
            session.commit()
        elapsed = time.perf_counter() - started
        session.info.pop("audit_disabled", None)
        db.session.remove()
    return elapsed


def run(label: str, url: str, instance: Path) -> None:
    from lims.app import create_app

    app = create_app(make_config(url, instance))
    upgrade_to_head(app)
    plain = create_records(app, audited=False)
    audited = create_records(app, audited=True)
    with app.app_context():
        from lims.audit.services import verify_chain
        from lims.extensions import db

        started = time.perf_counter()
        result = verify_chain(db.session)
        verify_seconds = time.perf_counter() - started
        db.engine.dispose()
    print(
        f"audit {label}: {RECORDS} records without audit {plain:.2f} s, with audit {audited:.2f} s "
        f"(x{audited / plain:.2f}); verify {result.checked} events {verify_seconds:.2f} s"
    )


def main() -> None:
    with tempfile.TemporaryDirectory() as folder:
        run("sqlite", f"sqlite:///{folder}/bench.sqlite3", Path(folder))
    databases = PostgresDatabases()
    try:
        url = databases.create("bench_audit")
        with tempfile.TemporaryDirectory() as folder:
            run("postgresql", url, Path(folder))
    except sa.exc.OperationalError as exc:
        print(f"audit postgresql: skipped, no server at {POSTGRES_ADMIN_URL}: {exc.__class__.__name__}")
    finally:
        databases.drop_all()


if __name__ == "__main__":
    main()
