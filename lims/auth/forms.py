"""Sign-in and account forms."""

from flask_babel import lazy_gettext as _l
from wtforms import BooleanField, IntegerField, PasswordField, SelectField, SelectMultipleField, StringField
from wtforms.validators import DataRequired, Email, EqualTo, Length, NumberRange, Optional, Regexp

from lims.auth.models import ROLES
from lims.auth.passwords import MAXIMUM_LENGTH
from lims.core.forms import LabForm, choices

ROLE_LABELS = {
    "admin": _l("Quản trị hệ thống"),
    "manager": _l("Trưởng phòng thí nghiệm"),
    "technician": _l("Kỹ thuật viên / kiểm định viên"),
    "signatory": _l("Người ký giấy chứng nhận"),
    "enterprise": _l("Doanh nghiệp"),
    "inspector": _l("Thanh tra / kiểm tra nhà nước"),
}


PASSWORD_ADVICE = _l(
    "Ít nhất 15 ký tự, không cần chữ hoa hay ký hiệu: một câu dễ nhớ là tốt nhất. Mật khẩu phổ biến, đã bị lộ "
    "hoặc có tên đăng nhập sẽ bị từ chối."
)


class LoginForm(LabForm):
    username = StringField(_l("Tên đăng nhập"), validators=[DataRequired(), Length(max=80)])
    password = PasswordField(_l("Mật khẩu"), validators=[DataRequired(), Length(max=MAXIMUM_LENGTH)])
    remember = BooleanField(_l("Ghi nhớ đăng nhập"))


class UserForm(LabForm):
    username = StringField(
        _l("Tên đăng nhập"),
        validators=[
            DataRequired(),
            Length(min=3, max=80),
            Regexp(r"^[A-Za-z0-9_.-]+$", message=_l("Chỉ dùng chữ không dấu, số, dấu chấm, gạch dưới, gạch ngang.")),
        ],
    )
    full_name = StringField(_l("Họ và tên"), validators=[DataRequired(), Length(max=200)])
    email = StringField(_l("Thư điện tử"), validators=[Optional(), Email(), Length(max=254)])
    roles = SelectMultipleField(_l("Vai trò"), choices=choices((role, ROLE_LABELS[role]) for role in ROLES))
    organisation_id = SelectField(_l("Tổ chức (doanh nghiệp)"), coerce=int, choices=[])
    inspector_scope_ids = SelectMultipleField(_l("Phạm vi thanh tra (để trống: tất cả)"), coerce=int, choices=[])
    active = BooleanField(_l("Đang hoạt động"), default=True)
    # The policy (length, blocklist, not the username) is the service's: lims/auth/passwords.py
    password = PasswordField(
        _l("Mật khẩu mới"), validators=[Optional(), Length(max=MAXIMUM_LENGTH)], description=PASSWORD_ADVICE
    )
    password_again = PasswordField(
        _l("Nhập lại mật khẩu"), validators=[EqualTo("password", message=_l("Hai mật khẩu không khớp."))]
    )


class PasswordChangeForm(LabForm):
    current_password = PasswordField(_l("Mật khẩu hiện tại"), validators=[DataRequired()])
    password = PasswordField(
        _l("Mật khẩu mới"), validators=[DataRequired(), Length(max=MAXIMUM_LENGTH)], description=PASSWORD_ADVICE
    )
    password_again = PasswordField(
        _l("Nhập lại mật khẩu"), validators=[EqualTo("password", message=_l("Hai mật khẩu không khớp."))]
    )


class NewPasswordForm(LabForm):
    """A new password chosen through an e-mailed unlock link (the link stands for the current password)."""

    password = PasswordField(
        _l("Mật khẩu mới"), validators=[DataRequired(), Length(max=MAXIMUM_LENGTH)], description=PASSWORD_ADVICE
    )
    password_again = PasswordField(
        _l("Nhập lại mật khẩu"), validators=[EqualTo("password", message=_l("Hai mật khẩu không khớp."))]
    )


class TokenForm(LabForm):
    name = StringField(_l("Tên (dùng ở đâu)"), validators=[DataRequired(), Length(max=100)])
    scope = SelectField(_l("Phạm vi"), choices=choices([("read", _l("Chỉ đọc")), ("write", _l("Đọc và ghi"))]))
    expires_days = IntegerField(
        _l("Hết hạn sau (ngày)"), default=90, validators=[DataRequired(), NumberRange(min=1, max=730)]
    )
