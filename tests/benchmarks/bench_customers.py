"""Recall over 1,000,000 instruments on PostgreSQL, and a 100,000-row import: one line per figure.

Creates its own database on the test server (LIMS_TEST_POSTGRES_URL, default postgres@127.0.0.1), loads it with
COPY, prints timings and the EXPLAIN of the recall queries (to show the due-date indexes are used), and drops it.
Run: .venv/bin/python tests/benchmarks/bench_customers.py [--instruments N] [--import-rows N]
"""

import argparse
import csv
import io
import os
import random
import sys
import tempfile
import time
import uuid
from datetime import date, timedelta
from pathlib import Path
from types import SimpleNamespace

import sqlalchemy as sa

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

ADMIN_URL = os.environ.get("LIMS_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1/postgres")
TODAY = date(2026, 11, 24)
LAB_STAFF = SimpleNamespace(is_lab_staff=True, roles=frozenset({"manager"}), inspector_scopes=[], organisation_id=None)


def timed(label: str, function, repeat: int = 5):
    best, result = float("inf"), None
    for _ in range(repeat):
        start = time.perf_counter()
        result = function()
        best = min(best, time.perf_counter() - start)
    print(f"{label}: {best * 1000:.1f} ms (best of {repeat})")
    return result


def explain(session, query, label: str) -> str:
    compiled = query.compile(dialect=session.get_bind().dialect)
    plan = session.connection().exec_driver_sql("EXPLAIN (ANALYZE, COSTS OFF) " + str(compiled), compiled.params)
    lines = [row[0] for row in plan]
    for line in lines:
        print(f"  explain {label}: {line}")
    return "\n".join(lines)


def load_instruments(session, count: int, organisation_ids: list[int], type_ids: list[int]) -> None:
    generator = random.Random(1)
    raw = session.connection().connection.driver_connection
    columns = "organisation_id, instrument_type_id, serial, range_max, unit, next_due_on, active, created_at"
    with raw.cursor() as cursor, cursor.copy(f"COPY instrument ({columns}) FROM STDIN") as copy:
        lines = []
        for number in range(count):
            due = "\\N" if number % 10 == 0 else (TODAY + timedelta(days=generator.randint(-60, 700))).isoformat()
            organisation_id = organisation_ids[number % len(organisation_ids)]
            type_id = type_ids[number % len(type_ids)]
            active = "t" if number % 50 else "f"
            lines.append(
                f"{organisation_id}\t{type_id}\tS{number:07d}\t150\tkg\t{due}\t{active}\t2026-01-01 00:00:00+00\n"
            )
            if len(lines) == 50_000:
                copy.write("".join(lines))
                lines.clear()
        copy.write("".join(lines))


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--instruments", type=int, default=1_000_000)
    parser.add_argument("--import-rows", type=int, default=100_000)
    args = parser.parse_args()

    from flask_migrate import upgrade

    from lims.app import create_app
    from lims.auth.permissions import SYSTEM
    from lims.config import Config
    from lims.customers import queries, rules, services
    from lims.customers.models import InstrumentType, Organisation
    from lims.extensions import db

    admin = sa.create_engine(ADMIN_URL, isolation_level="AUTOCOMMIT", poolclass=sa.pool.NullPool)
    name = f"lims_bench_customers_{uuid.uuid4().hex[:8]}"
    with admin.connect() as connection:
        connection.execute(sa.text(f'CREATE DATABASE "{name}"'))
    url = sa.make_url(ADMIN_URL).set(database=name).render_as_string(hide_password=False)
    instance = Path(tempfile.mkdtemp(prefix="bench-customers-"))
    try:
        app = create_app(
            Config(
                ENV="testing",
                SECRET_KEY="bench-secret-key-long-enough-0123456789abcdef",
                SQLALCHEMY_DATABASE_URI=url,
                INSTANCE_PATH=str(instance),
                AUDIT_ANCHOR_KEY_PATH=str(instance / "anchor.pem"),
            )
        )
        with app.app_context():
            upgrade()
            session = db.session
            services.seed_catalogue(session, SYSTEM)
            organisations = []
            for number in range(1000):
                prefix = f"21{number:07d}"
                check = rules.tax_code_check_digit(prefix)
                if check is None:
                    continue
                organisations.append({"name": f"Doanh nghiệp {number}", "tax_code": f"{prefix}{check}"})
            session.execute(sa.insert(Organisation), organisations)
            session.commit()
            organisation_ids = session.scalars(sa.select(Organisation.id)).all()
            type_ids = session.scalars(
                sa.select(InstrumentType.id).where(InstrumentType.code.in_(["scale-platform", "weight-f1-m2"]))
            ).all()
            start = time.perf_counter()
            load_instruments(session, args.instruments, organisation_ids, type_ids)
            session.commit()
            print(f"COPY {args.instruments:,} instruments: {time.perf_counter() - start:.1f} s")
            session.connection().exec_driver_sql("ANALYZE instrument")
            session.commit()

            page = queries.recall_query(LAB_STAFF, TODAY, 30).limit(50)
            rows = timed(
                "recall, first page of 50 (overall, due within 30 days or overdue)", lambda: session.scalars(page).all()
            )
            assert rows and all(row.next_due_on <= TODAY + timedelta(days=30) for row in rows)
            plan = explain(session, page, "recall page")
            assert "ix_instrument_due" in plan, "the recall page should walk the due-date index"

            one = SimpleNamespace(
                is_lab_staff=False,
                roles=frozenset({"enterprise"}),
                inspector_scopes=[],
                organisation_id=organisation_ids[7],
            )
            enterprise_page = queries.recall_query(one, TODAY, 30).limit(50)
            timed("recall, first page (one enterprise)", lambda: session.scalars(enterprise_page).all())
            plan = explain(session, enterprise_page, "enterprise recall")
            assert "ix_instrument_organisation_due" in plan

            summary = timed(
                "recall summary (overdue, due in 30 days, counts for 12 months), overall",
                lambda: queries.recall_summary(session, LAB_STAFF, TODAY, 30, 12),
            )
            print(f"  overall: {summary.overdue:,} overdue, {summary.due_soon:,} due within 30 days")
            timed(
                "recall summary, one enterprise",
                lambda: queries.recall_summary(session, one, TODAY, 30, 12, organisation_id=organisation_ids[7]),
            )
            overdue = sa.select(sa.func.count()).where(
                queries.Instrument.active.is_(True), queries.Instrument.next_due_on < TODAY
            )
            explain(session, overdue, "overdue count")
            session.rollback()

            owner = services.create_organisation(session, SYSTEM, name="Doanh nghiệp nhập tệp", tax_code="2100123457")
            session.commit()
            output = io.StringIO()
            writer = csv.writer(output)
            writer.writerow(["type_code", "serial", "maker", "range_max", "unit", "accuracy_class", "last_service_on"])
            for number in range(args.import_rows):
                last = TODAY - timedelta(days=number % 400)
                writer.writerow(
                    ["scale-platform", f"IMP-{number:06d}", "Nhơn Hòa", "150", "kg", "III", last.strftime("%d/%m/%Y")]
                )
            content = output.getvalue().encode("utf-8")
            start = time.perf_counter()
            report = services.import_instruments(session, SYSTEM, content, "bench.csv", organisation_id=owner.id)
            session.commit()
            elapsed = time.perf_counter() - start
            assert report.ok and report.imported == args.import_rows, report.problems[:5]
            print(f"import {args.import_rows:,} CSV rows (check, derive due dates, insert, audit): {elapsed:.1f} s")
            db.session.remove()
            db.engine.dispose()
    finally:
        with admin.connect() as connection:
            connection.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


if __name__ == "__main__":
    main()
