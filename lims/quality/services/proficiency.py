"""Proficiency testing: rounds of PT and interlaboratory comparison, their results and En numbers; an
unsatisfactory result opens a nonconformity."""

from datetime import date

from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.orm import Session

from instruments.errors import InputError
from instruments.proficiency import ComparisonResult, en_number
from lims.auth.permissions import Capability, require
from lims.core.errors import RuleViolation
from lims.quality.models import (
    ProficiencyResult,
    ProficiencyRound,
)
from lims.quality.services._common import _required
from lims.quality.services.nonconformities import open_system_nonconformity


def create_proficiency_round(
    session: Session, actor, *, code: str, kind: str, provider: str, title: str, field: str | None, held_on: date
) -> ProficiencyRound:
    """Record a proficiency test or comparison round the lab took part in."""
    require(actor, Capability.RECORD_QUALITY)
    code = _required(code, "code", _("mã vòng"))
    if kind not in ("pt", "ilc"):
        raise RuleViolation(_("Loại không hợp lệ"), field="kind")
    if session.scalar(select(ProficiencyRound.id).where(ProficiencyRound.code == code)):
        raise RuleViolation(_("Mã vòng đã có: %(code)s", code=code), field="code")
    round_ = ProficiencyRound(
        code=code,
        kind=kind,
        provider=_required(provider, "provider", _("đơn vị tổ chức")),
        title=_required(title, "title", _("tên chương trình")),
        field=field or None,
        held_on=held_on,
    )
    session.add(round_)
    session.flush()
    return round_


def record_proficiency_result(
    session: Session,
    actor,
    round_: ProficiencyRound,
    *,
    item: str,
    unit: str,
    lab_value: float,
    lab_uncertainty: float,
    reference_value: float,
    reference_uncertainty: float,
) -> ProficiencyResult:
    """Record a result, compute its En number, and open a nonconformity when |En| > 1."""
    require(actor, Capability.RECORD_QUALITY)
    try:
        assessment = en_number(ComparisonResult(lab_value, lab_uncertainty, reference_value, reference_uncertainty))
    except InputError as error:
        raise RuleViolation(f"{error.message} / {error.field}", field=error.field) from None
    result = ProficiencyResult(
        round=round_,
        item=_required(item, "item", _("hạng mục")),
        unit=_required(unit, "unit", _("đơn vị")),
        lab_value=lab_value,
        lab_uncertainty=lab_uncertainty,
        reference_value=reference_value,
        reference_uncertainty=reference_uncertainty,
        en=assessment.en,
        satisfactory=assessment.satisfactory,
        recorded_by_id=actor.id if actor else None,
    )
    session.add(result)
    session.flush()
    if not assessment.satisfactory:
        open_system_nonconformity(
            session,
            actor,
            source="proficiency",
            source_ref=f"proficiency_result:{result.id}",
            clause="7.7.2",
            title=_("Kết quả %(code)s không đạt: En = %(en).2f", code=round_.code, en=assessment.en),
            description=(
                f"{round_.title} ({round_.provider}), {result.item}: x_lab = {lab_value} ± {lab_uncertainty} {unit}, "
                f"x_ref = {reference_value} ± {reference_uncertainty} {unit}, En = {assessment.en:.2f} (|En| > 1)."
            ),
            raised_on=round_.held_on,
        )
    return result
