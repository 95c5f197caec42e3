"""How long the lab keeps public verification look-ups and sign-in attempts, and the daily pruning of older ones.

Both logs hold people's addresses; they are needed for a while (throttling guessing, answering a forgery report),
not for ever. The periods are lab settings (table ``lab_setting``), changed with `lims maintenance retention`, each
change in the audit trail; the certificates and the audit trail themselves are never pruned.
"""

from dataclasses import dataclass
from datetime import timedelta

from flask_babel import gettext as _
from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from lims.audit.trail import audit_reason, record_event
from lims.auth.models import LoginAttempt
from lims.core.errors import RuleViolation
from lims.core.model import utcnow
from lims.customers.models import LabSetting
from lims.issuing.models import CertificateCheck


@dataclass(frozen=True)
class Retention:
    key: str  # in lab_setting
    table: type
    moment: str  # the column dating a row
    default_days: int
    minimum_days: int  # shorter would defeat what the log is for
    label: str


RETENTIONS = (
    # A year of look-ups lets the lab answer "who checked this certificate before the complaint?"
    Retention("retention.certificate_check_days", CertificateCheck, "checked_at", 365, 30, "verification look-ups"),
    # Lock-outs look back minutes; 90 days keeps enough to see a slow guessing campaign.
    Retention("retention.login_attempt_days", LoginAttempt, "attempted_at", 90, 7, "sign-in attempts"),
)
BY_NAME = {"lookups": RETENTIONS[0], "sign_ins": RETENTIONS[1]}


def retention_days(session: Session, retention: Retention) -> int:
    stored = session.scalar(select(LabSetting.value).where(LabSetting.key == retention.key))
    return int(stored) if stored else retention.default_days


def set_retention(session: Session, retention: Retention, days: int, reason: str) -> None:
    """Change how long a log is kept (audited with the reason)."""
    if days < retention.minimum_days:
        raise RuleViolation(
            _(
                "Thời gian lưu tối thiểu %(minimum_days)s ngày: %(label)s",
                minimum_days=retention.minimum_days,
                label=retention.label,
            ),
            field="days",
        )
    if not (reason or "").strip():
        raise RuleViolation(_("Cần ghi lý do."), field="reason")
    with audit_reason(reason.strip()):
        setting = session.get(LabSetting, retention.key)
        if setting is None:
            session.add(LabSetting(key=retention.key, value=str(days)))
        else:
            setting.value = str(days)
        session.flush()


def prune(session: Session) -> dict[str, int]:
    """Delete look-ups and sign-in attempts older than their retention; one audit event says how many."""
    removed = {}
    now = utcnow()
    for retention in RETENTIONS:
        days = retention_days(session, retention)
        column = getattr(retention.table, retention.moment)
        result = session.execute(
            delete(retention.table)
            .where(column < now - timedelta(days=days))
            .execution_options(synchronize_session=False)
        )
        removed[retention.table.__tablename__] = result.rowcount or 0
    record_event(session, "retention-prune", "lab_setting", "retention", removed)
    return removed
