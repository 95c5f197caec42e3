"""Demo procedures defined as data: every definition shipped with the project, uploaded by the lab manager, approved
by a second person (the administrator), its unconfirmed legal values confirmed with a reason that says they are demo
data. The jobs demo then authorises the technicians and takes one instrument of each family to review.
"""

import logging

from sqlalchemy import select
from sqlalchemy.orm import Session

from lims.auth.models import User
from lims.cli.procedures import shipped_definitions
from lims.core.errors import RuleViolation
from lims.procedures import services
from lims.procedures.models import ProcedureVersion

log = logging.getLogger(__name__)

UPLOADER, APPROVER = "truongphong", "admin"
CHECKED = "Dữ liệu mẫu (demo): chưa đối chiếu với văn bản gốc; chỉ để minh hoạ quy trình xác nhận"


def _user(session: Session, username: str) -> User | None:
    return session.scalar(select(User).where(User.username == username))


def load(session: Session) -> list[tuple[str, str]]:
    uploader, approver = _user(session, UPLOADER), _user(session, APPROVER)
    if uploader is None or approver is None:
        return []
    for name, text in shipped_definitions().items():
        try:
            version = services.upload_version(session, uploader, text)
        except RuleViolation:
            continue  # loaded before (the demo is idempotent)
        services.approve_version(session, approver, version)
        for value in version.unconfirmed_values:
            services.confirm_value(session, uploader, value, reason=CHECKED)
        log.info("demo procedure %s from %s approved", version.label, name)
    return []


def approved_versions(session: Session) -> list[ProcedureVersion]:
    """The approved definitions, one per key, for the jobs demo."""
    keys = sorted(set(session.scalars(select(ProcedureVersion.key))))
    return [version for key in keys if (version := services.current_version(session, key)) is not None]
