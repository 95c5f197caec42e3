"""Lab settings of the quality system: how old a record may be and still count as current evidence."""

from collections.abc import Mapping

from flask_babel import gettext as _
from sqlalchemy.orm import Session

from lims.audit.trail import audit_reason
from lims.auth.permissions import Capability, require
from lims.core.errors import RuleViolation
from lims.core.model import nfc
from lims.core.words import in_language
from lims.customers.models import LabSetting
from lims.quality.evidence import FRESHNESS_SETTINGS, FreshnessLimits, freshness_limits


def _whole_days(value: object) -> int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, str) and value.strip().isascii() and value.strip().isdigit():
        return int(value.strip())
    return None


def set_freshness_limits(
    session: Session, actor, values: Mapping[str, object], reason: str | None = None
) -> FreshnessLimits:
    """Change the lab's freshness limits (whole days); a limit not given keeps its value.

    Every value is checked before any is written, so one bad value changes nothing.

    :raises RuleViolation: naming the first field that is not a whole number of days within its bounds.
    """
    require(actor, Capability.MANAGE_QUALITY)
    unknown = set(values) - {setting.name for setting in FRESHNESS_SETTINGS}
    if unknown:
        raise RuleViolation(_("Cài đặt không có: %(items)s", items=", ".join(sorted(unknown))), field=min(unknown))
    current = freshness_limits(session)
    changes: dict[str, int] = {}
    for setting in FRESHNESS_SETTINGS:
        if setting.name not in values:
            continue
        days = _whole_days(values[setting.name])
        if days is None or not 1 <= days <= setting.maximum:
            raise RuleViolation(
                _(
                    "%(label_vi)s: phải là số ngày nguyên từ 1 đến %(maximum)s: %(values)r",
                    label_vi=in_language(setting.label_vi, setting.label_en),
                    maximum=setting.maximum,
                    values=values[setting.name],
                ),
                field=setting.name,
            )
        if days != getattr(current, setting.name):
            changes[setting.key] = days
    with audit_reason(nfc((reason or "").strip()) or "giới hạn thời gian của bằng chứng"):
        for key, days in changes.items():
            row = session.get(LabSetting, key)
            if row is None:
                session.add(LabSetting(key=key, value=str(days)))
            else:
                row.value = str(days)
        session.flush()
    return freshness_limits(session)
