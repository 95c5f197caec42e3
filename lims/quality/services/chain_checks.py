"""Chain checks: the audit trail's chain verified on demand and kept as evidence of data integrity (17025 7.11)."""

import logging

from sqlalchemy.orm import Session

from lims.audit.services import verify_chain
from lims.audit.trail import current_actor
from lims.auth.permissions import Capability, require
from lims.quality.models import (
    ChainCheck,
)

log = logging.getLogger(__name__)


def record_chain_check(session: Session, actor) -> ChainCheck:
    """Verify the audit chain now and keep the result as evidence of data integrity (17025 7.11)."""
    require(actor, Capability.MANAGE_QUALITY)
    result = verify_chain(session)
    check = ChainCheck(
        ok=result.ok,
        events_checked=result.checked,
        head_seq=result.head_seq,
        head_hash=result.head_hash,
        problem=result.problem,
        checked_by=current_actor().label,
    )
    session.add(check)
    session.flush()
    if not result.ok:
        log.error("audit chain broken at %s: %s", result.first_bad_seq, result.problem)
    return check
