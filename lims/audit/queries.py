"""Reads of the audit trail."""

from sqlalchemy import Select, select

from lims.audit.models import AuditAnchor, AuditEvent
from lims.audit.scope import visible_events


def events_query(user, entity: str | None = None, entity_id: str | None = None, actor: str | None = None) -> Select:
    """Audit events this person may read (about records of its organisations), newest first, filtered."""
    query = visible_events(user, select(AuditEvent).order_by(AuditEvent.seq.desc()))
    if entity:
        query = query.where(AuditEvent.entity == entity)
    if entity_id:
        query = query.where(AuditEvent.entity_id == entity_id)
    if actor:
        query = query.where(AuditEvent.actor == actor)
    return query


def anchors_query() -> Select:
    return select(AuditAnchor).order_by(AuditAnchor.seq.desc())
