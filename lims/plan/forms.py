"""Forms of the plan module."""

from flask_babel import lazy_gettext as _l
from wtforms import DateField, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length, NumberRange, Optional

from lims.core.forms import LabForm, LocalFloatField, LocalIntegerField, choices
from lims.plan.models import ActivityKind


class ExpenseForm(LabForm):
    budget_line_id = SelectField(_l("Dòng kinh phí"), coerce=int, choices=[])
    spent_on = DateField(_l("Ngày chi"), validators=[DataRequired()])
    amount_vnd = LocalIntegerField(_l("Số tiền (đồng)"), validators=[DataRequired(), NumberRange(min=1)])
    description = StringField(_l("Nội dung chi"), validators=[DataRequired(), Length(max=300)])
    voucher = StringField(_l("Chứng từ"), validators=[Optional(), Length(max=100)])


class BudgetLineForm(LabForm):
    item_id = SelectField(_l("Nhiệm vụ"), coerce=int, choices=[])
    source = SelectField(_l("Nguồn"), choices=choices([("NSNN", "NSNN"), ("DN", "DN")]))
    year = LocalIntegerField(_l("Năm"), validators=[DataRequired(), NumberRange(2000, 2100)])
    planned_vnd = LocalIntegerField(_l("Dự toán (đồng)"), validators=[DataRequired(), NumberRange(min=0)])


class GoalForm(LabForm):
    item_id = SelectField(_l("Chỉ tiêu / nhiệm vụ"), coerce=int, choices=[])
    period_id = SelectField(_l("Giai đoạn"), coerce=int, choices=[])
    target = LocalFloatField(_l("Chỉ tiêu (số)"), validators=[Optional()])
    target_text = StringField(_l("Chỉ tiêu (văn bản)"), validators=[Optional(), Length(max=200)])
    manual_actual = LocalFloatField(_l("Kết quả (nhập tay, chỉ cho mục không tính tự động)"), validators=[Optional()])
    manual_evidence = TextAreaField(_l("Minh chứng"), validators=[Optional()])


class ActivityForm(LabForm):
    kind = SelectField(
        _l("Loại"),
        choices=choices(ActivityKind.choices()),
    )
    title = StringField(_l("Nội dung"), validators=[DataRequired(), Length(max=300)])
    held_on = DateField(_l("Ngày"), validators=[DataRequired()])
    place = StringField(_l("Địa điểm"), validators=[Optional(), Length(max=300)])
    participants = LocalIntegerField(_l("Số người tham gia"), validators=[Optional(), NumberRange(min=0)])
