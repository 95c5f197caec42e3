"""The daily upkeep: reminders, retention of look-ups and sign-in attempts (lab settings), audit anchor, backup."""

from datetime import timedelta

import pytest
from sqlalchemy import func, select

from lims.auth.models import LoginAttempt
from lims.core.errors import RuleViolation
from lims.core.model import utcnow
from lims.issuing.models import CertificateCheck
from lims.ops import retention
from tests.lims.test_ops_backup import PASSPHRASE, run


def _logs(session, age_days: int, count: int = 1) -> None:
    moment = utcnow() - timedelta(days=age_days)
    for _ in range(count):
        session.add(
            CertificateCheck(method="number", outcome="not_found", remote_addr="203.0.113.7", checked_at=moment)
        )
        session.add(LoginAttempt(username="mai", remote_addr="203.0.113.7", attempted_at=moment))
    session.commit()


def test_pruning_keeps_each_log_for_its_lab_setting(session):
    from lims.audit.services import verify_chain

    _logs(session, age_days=400, count=2)
    _logs(session, age_days=100, count=3)
    _logs(session, age_days=1, count=4)
    removed = retention.prune(session)
    session.commit()
    # Defaults: look-ups 365 days, sign-in attempts 90 days.
    assert removed == {"certificate_check": 2, "login_attempt": 5}
    assert session.scalar(select(func.count()).select_from(CertificateCheck)) == 7
    assert session.scalar(select(func.count()).select_from(LoginAttempt)) == 4
    retention.set_retention(session, retention.BY_NAME["lookups"], 30, "Quy định bảo vệ dữ liệu cá nhân")
    session.commit()
    assert retention.prune(session) == {"certificate_check": 3, "login_attempt": 0}
    session.commit()
    assert verify_chain(session).ok


def test_a_retention_below_its_minimum_or_without_reason_is_refused(session):
    with pytest.raises(RuleViolation) as refused:
        retention.set_retention(session, retention.BY_NAME["sign_ins"], 1, "quá ngắn")
    assert refused.value.field == "days"
    with pytest.raises(RuleViolation) as refused:
        retention.set_retention(session, retention.BY_NAME["sign_ins"], 30, " ")
    assert refused.value.field == "reason"


def test_changing_a_retention_is_in_the_audit_trail(app, session):
    from lims.audit.models import AuditEvent

    result = run(app, "maintenance", "retention", "--sign-ins-days", "60", "--reason", "Quyết định của giám đốc")
    assert result.exit_code == 0, result.output
    assert "sign-in attempts: kept 60 days" in result.output
    event = session.scalars(select(AuditEvent).where(AuditEvent.entity == "lab_setting")).all()[-1]
    assert event.reason == "Quyết định của giám đốc" and "60" in event.payload


def test_the_daily_command_runs_every_step_and_writes_a_dated_backup(app, session, tmp_path, monkeypatch):
    monkeypatch.setitem(app.config, "BACKUP_PASSPHRASE", PASSPHRASE)
    _logs(session, age_days=400)
    result = run(app, "maintenance", "daily", "--backup-dir", str(tmp_path / "backups"))
    assert result.exit_code == 0, result.output
    for step in ("reminders:", "retention: 1 certificate_check rows removed", "audit anchor: checkpoint", "backup:"):
        assert step in result.output
    [folder] = (tmp_path / "backups").iterdir()
    assert (folder / "manifest.json").exists()


def test_a_failing_daily_step_is_reported_and_the_others_still_run(app, tmp_path, monkeypatch):
    monkeypatch.setitem(app.config, "BACKUP_PASSPHRASE", "")
    result = run(app, "maintenance", "daily", "--backup-dir", str(tmp_path / "backups"))
    assert result.exit_code == 1
    assert "backup: FAILED: the backup passphrase must have at least 12 characters" in result.output
    assert "audit anchor: checkpoint" in result.output and "retention:" in result.output
