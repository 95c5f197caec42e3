"""Risks and opportunities (17025 8.5): recording one with its score, reassessing, periodic reviews, closing."""

from datetime import date

from flask_babel import gettext as _
from sqlalchemy.orm import Session

from lims.audit.trail import audit_reason
from lims.auth.models import User
from lims.auth.permissions import Capability, require
from lims.core.errors import RuleViolation
from lims.core.model import nfc
from lims.quality.models import (
    RISK_KINDS,
    Risk,
    RiskReview,
)
from lims.quality.services._common import _d, _get, _required


def record_risk(
    session: Session,
    actor,
    *,
    kind: str,
    title: str,
    clause: str | None,
    likelihood: int,
    impact: int,
    treatment: str | None,
    owner_id: int | None,
    review_on: date | None,
) -> Risk:
    """Record a risk or an opportunity with its score (likelihood x impact, each 1 to 5)."""
    require(actor, Capability.MANAGE_QUALITY)
    if kind not in RISK_KINDS:
        raise RuleViolation(_("Loại không hợp lệ"), field="kind")
    for name, value in (("likelihood", likelihood), ("impact", impact)):
        if not 1 <= int(value) <= 5:
            raise RuleViolation(_("Thang điểm 1 đến 5"), field=name)
    risk = Risk(
        kind=kind,
        title=_required(title, "title", _("tên rủi ro")),
        clause=clause or None,
        likelihood=int(likelihood),
        impact=int(impact),
        treatment=treatment or None,
        owner_id=owner_id or None,
        review_on=review_on,
    )
    session.add(risk)
    session.flush()
    return risk


def _score(name: str, value: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= 5:
        raise RuleViolation(_("Thang điểm 1 đến 5"), field=name)
    return value


def _open_risk(risk: Risk, field: str) -> None:
    if risk.closed:
        raise RuleViolation(
            _("Rủi ro đã đóng ngày %(value)s", value=_d(risk.closed_on) if risk.closed_on else "—"), field=field
        )


def _last_review(risk: Risk) -> date | None:
    return max((review.reviewed_on for review in risk.reviews), default=None)


def update_risk(
    session: Session,
    actor,
    risk: Risk,
    *,
    likelihood: int,
    impact: int,
    treatment: str | None,
    owner_id: int | None,
    review_on: date | None,
    reason: str,
) -> Risk:
    """Change a risk's assessment: its scores, the actions to address it, its owner and when to review it."""
    require(actor, Capability.MANAGE_QUALITY)
    _open_risk(risk, "likelihood")
    likelihood, impact = _score("likelihood", likelihood), _score("impact", impact)
    if owner_id:
        owner = _get(session, User, owner_id, _("người phụ trách"))
        if not owner.is_lab_staff or not owner.active:
            raise RuleViolation(_("Người phụ trách phải là nhân viên"), field="owner_id")
    reason = _required(reason, "reason", _("lý do thay đổi"))
    treatment = nfc((treatment or "").strip()) or None
    last = _last_review(risk)
    if review_on is not None and last is not None and review_on <= last:
        raise RuleViolation(
            _("Ngày xem xét lại phải sau lần xem xét %(d)s", d=_d(last)),
            field="review_on",
        )
    new = (likelihood, impact, treatment, owner_id or None, review_on)
    if new == (risk.likelihood, risk.impact, risk.treatment, risk.owner_id, risk.review_on):
        raise RuleViolation(_("Không có gì thay đổi"), field="likelihood")
    with audit_reason(f"đánh giá lại: {reason}"):
        risk.likelihood, risk.impact, risk.treatment, risk.owner_id, risk.review_on = new
        session.flush()
    return risk


def review_risk(
    session: Session,
    actor,
    risk: Risk,
    *,
    reviewed_on: date,
    likelihood: int,
    impact: int,
    note: str,
    next_review_on: date | None,
) -> RiskReview:
    """Record a periodic review of a risk: its score that day, what was found, and the next review date."""
    require(actor, Capability.MANAGE_QUALITY)
    _open_risk(risk, "reviewed_on")
    likelihood, impact = _score("likelihood", likelihood), _score("impact", impact)
    note = _required(note, "note", _("nhận xét"))
    last = _last_review(risk)
    if last is not None and reviewed_on < last:
        raise RuleViolation(_("Đã có lần xem xét sau ngày này (%(d)s)", d=_d(last)), field="reviewed_on")
    if next_review_on is not None and next_review_on <= reviewed_on:
        raise RuleViolation(_("Lần xem xét sau phải sau lần này"), field="next_review_on")
    with audit_reason(f"xem xét định kỳ {_d(reviewed_on)}"):
        review = RiskReview(
            risk=risk,
            reviewed_on=reviewed_on,
            likelihood=likelihood,
            impact=impact,
            note=note,
            next_review_on=next_review_on,
            reviewed_by_id=actor.id,
        )
        session.add(review)
        risk.likelihood, risk.impact, risk.review_on = likelihood, impact, next_review_on
        session.flush()
    return review


def close_risk(
    session: Session, actor, risk: Risk, *, closed_on: date, reason: str, effectiveness: str, effective: bool
) -> Risk:
    """Close a risk or opportunity, saying why and how effective its actions were (17025 8.5.3); it stays listed."""
    require(actor, Capability.MANAGE_QUALITY)
    _open_risk(risk, "reason")
    reason = _required(reason, "reason", _("lý do đóng"))
    effectiveness = _required(effectiveness, "effectiveness", _("đánh giá hiệu lực của biện pháp"))
    last = _last_review(risk)
    if last is not None and closed_on < last:
        raise RuleViolation(_("Ngày đóng trước lần xem xét %(d)s", d=_d(last)), field="closed_on")
    with audit_reason(f"đóng: {reason}"):
        risk.closed = True
        risk.closed_on = closed_on
        risk.closed_by_id = actor.id
        risk.close_reason = reason
        risk.effectiveness = effectiveness
        risk.effective = bool(effective)
        session.flush()
    return risk
