"""Which organisation each audited record belongs to, so that the trail is read through the organisation scope.

The path from a table to its organisation is found by following its foreign keys (never through a person's account:
who did something does not make the record theirs), so a table added later is scoped without being listed here.
A table with no path holds the lab's own records (standards, documents, the plan), which inspectors read.
"""

import json
from functools import cache

from sqlalchemy import Select, String, Table, and_, cast, false, or_, select

from lims.audit.models import AuditEvent
from lims.auth.permissions import organisation_scope, visible_to
from lims.extensions import db

ORGANISATION_TABLE = "organisation"
# Foreign keys that name a person, not an owner; an account itself is owned by its organisation (organisation_id).
_PERSON_TABLE = "user_account"


def _tables() -> dict[str, Table]:
    return dict(db.Model.metadata.tables)


@cache
def organisation_paths() -> dict[str, tuple[tuple[str, str, str], ...]]:
    """Map each table holding organisations' records to its path: (table, foreign key column, referred table) hops.

    The last hop ends on a table with an ``organisation_id`` column (or on ``organisation`` itself).
    """
    tables = _tables()
    paths: dict[str, tuple[tuple[str, str, str], ...]] = {ORGANISATION_TABLE: ()}
    for name, table in tables.items():
        if "organisation_id" in table.c:
            paths[name] = ()
    changed = True
    while changed:  # breadth first: the shortest path wins
        changed = False
        for name, table in sorted(tables.items()):
            if name in paths:
                continue
            for column in sorted(table.c, key=lambda c: (c.nullable, c.name)):
                for key in column.foreign_keys:
                    target = key.column.table.name
                    if target == _PERSON_TABLE and name != "user_role":
                        continue
                    if target in paths and target != name:
                        paths[name] = ((name, column.name, target), *paths[target])
                        changed = True
                        break
                if name in paths:
                    break
    return paths


def owned_rows(table_name: str, path) -> tuple[Select, object]:
    tables = _tables()
    table = tables[table_name]
    query = select(cast(table.c.id, String)).select_from(table)
    current = table
    for _source, column, target in path:
        target_table = tables[target].alias(f"{target}_{column}")
        query = query.outerjoin(target_table, current.c[column] == target_table.c.id)
        current = target_table
    if current.name == ORGANISATION_TABLE or getattr(current, "element", None) is tables[ORGANISATION_TABLE]:
        return query, current.c.id
    return query, current.c.organisation_id


@cache
def redacted_fields() -> dict[str, frozenset[str]]:
    """The fields each table never shows in clear (``__audit_redact__``): secrets such as a calendar link's token."""
    return {
        mapper.class_.__tablename__: frozenset(getattr(mapper.class_, "__audit_redact__", frozenset()))
        for mapper in db.Model.registry.mappers
    }


def shown_changes(event: AuditEvent) -> dict:
    """The changes of an event as they may be shown: a secret field reads "[redacted]" (events written before the
    field was redacted keep their hashed payload as it was; only its display hides it)."""
    changes = json.loads(event.payload).get("changes", {})
    hidden = redacted_fields().get(event.entity, frozenset())
    for key in hidden & set(changes):
        value = changes[key]
        if event.action == "update" and isinstance(value, list):
            changes[key] = ["[redacted]" if part is not None else None for part in value]
        elif value is not None:
            changes[key] = "[redacted]"
    return changes


def visible_events(user, query: Select) -> Select:
    """Narrow a query of audit events to those about records of the organisations this person may read.

    Events about the lab's own records stay; an event about a record that no longer exists is hidden from a person
    limited to some organisations, since nothing says whose it was.
    """
    if organisation_scope(user) is None:
        return query
    conditions = []
    owned = []
    for table_name, path in organisation_paths().items():
        if "id" not in _tables()[table_name].c:
            continue
        owned.append(table_name)
        ids, organisation = owned_rows(table_name, path)
        ids = visible_to(user, ids, organisation, lab_records=True)
        conditions.append(and_(AuditEvent.entity == table_name, AuditEvent.entity_id.in_(ids)))
    return query.where(or_(AuditEvent.entity.not_in(owned), *conditions, false()))
