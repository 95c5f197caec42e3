"""The standards registry's rules: what may be measured with, on which day."""

from datetime import date

from lims.core.errors import RuleViolation
from lims.standards.models import Standard


def ensure_usable_on(standard: Standard, day: date) -> None:
    """Refuse a standard that is not in service or is past its due date on the day of measurement."""
    if standard.status != "in_service":
        raise RuleViolation(
            f"Chuẩn {standard.code} đang ở trạng thái '{standard.status}', không được dùng "
            f"/ standard {standard.code} is not in service ({standard.status})",
            field="standards",
        )
    if standard.due_on is None or standard.due_on < day:
        due = standard.due_on.strftime("%d/%m/%Y") if standard.due_on else "—"
        raise RuleViolation(
            f"Chuẩn {standard.code} đã quá hạn hiệu chuẩn ({due}) vào ngày đo {day:%d/%m/%Y} "
            f"/ standard {standard.code} is past its calibration due date ({due}) on the measurement day",
            field="standards",
        )
