"""Migrations never drop a table that holds records unless the operator says so explicitly.

Downgrading revision 0006 drops the certificate tables; run by mistake it would erase the lab's legal records
without a word. Every migration run (migrations/env.py) installs this guard: before a downgrade runs, the tables it
drops are counted, and if any holds rows the run is refused before anything changes (SQLite's DDL is not
transactional, so refusing half-way would leave a half-dropped schema). Every other ``op.drop_table`` (in upgrades
too) is checked as it runs. The flag: ``lims db downgrade -x allow_destructive=1 REV`` or
``LIMS_ALLOW_DESTRUCTIVE_DOWNGRADE=1`` — after `lims backup`.
"""

import inspect
import os
import re

import sqlalchemy as sa
from alembic.operations import Operations, ops, toimpl

FLAG = "LIMS_ALLOW_DESTRUCTIVE_DOWNGRADE"
_DROPPED = re.compile(r"""op\.drop_table\(\s*['"]([A-Za-z0-9_]+)['"]""")
_state: dict = {"allowed": False, "checked": False, "context": None}


class DestructiveMigrationRefused(RuntimeError):
    """A migration would drop tables holding records and the operator did not allow it."""


def _holding_rows(connection, tables) -> dict[str, int]:
    existing = set(sa.inspect(connection).get_table_names())
    counts = {}
    for name in tables:
        if name in existing:
            count = connection.scalar(sa.select(sa.func.count()).select_from(sa.table(name)))
            if count:
                counts[name] = count
    return counts


def _refuse(what: str, counts: dict[str, int]) -> None:
    listed = ", ".join(f"{name} ({count} rows)" for name, count in sorted(counts.items()))
    raise DestructiveMigrationRefused(
        f"{what} would drop tables holding records: {listed}. Nothing was changed. If this is really meant, take a "
        f"backup (`lims backup DEST`) and run again with `-x allow_destructive=1` or {FLAG}=1"
    )


def tables_dropped_by(function) -> list[str]:
    """Return the tables a migration function drops (Alembic writes them as ``op.drop_table('name')``)."""
    return _DROPPED.findall(inspect.getsource(function))


def _guarded_downgrade(revision: str, downgrade):
    def guarded():
        # At the run's first step, every step down to the destination is checked: none has run yet.
        if not _state["allowed"] and not _state["checked"] and not _state["context"].is_offline_mode():
            from alembic import op

            context = _state["context"]
            steps = list(context.script.iterate_revisions(revision, context.get_revision_argument()))
            dropped = [table for step in steps for table in tables_dropped_by(_original(step.module.downgrade))]
            counts = _holding_rows(op.get_bind(), dropped)
            if counts:
                _refuse(f"downgrading {', '.join(step.revision for step in steps)}", counts)
            _state["checked"] = True
        return downgrade()

    guarded.lims_original = downgrade
    return guarded


def _original(function):
    return getattr(function, "lims_original", function)


@Operations.implementation_for(ops.DropTableOp, replace=True)
def _drop_table(operations, operation):
    if not _state["allowed"] and not operations.migration_context.as_sql:
        counts = _holding_rows(operations.get_bind(), [operation.table_name])
        if counts:
            _refuse("this migration", counts)
    toimpl.drop_table(operations, operation)


def install(context) -> None:
    """Arm the guard for this migration run (called by migrations/env.py)."""
    x_arguments = context.get_x_argument(as_dictionary=True)
    _state.update(
        allowed=os.environ.get(FLAG) == "1" or x_arguments.get("allow_destructive") == "1",
        checked=False,
        context=context,
    )
    for script in context.script.walk_revisions():
        module = script.module
        if not hasattr(module.downgrade, "lims_original"):
            module.downgrade = _guarded_downgrade(script.revision, module.downgrade)
