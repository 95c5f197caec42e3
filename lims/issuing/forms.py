"""Forms of issuing: sign, amend, revoke, batch, stickers, public look-ups."""

from flask_babel import lazy_gettext as _l
from flask_wtf.file import FileField, FileRequired
from wtforms import DateField, PasswordField, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length, NumberRange, Optional

from lims.core.forms import LabForm, LocalIntegerField, choices


class IssueForm(LabForm):
    sticker_serial = StringField(_l("Số tem kiểm định đã dán"), validators=[Optional(), Length(max=40)])
    remarks = TextAreaField(_l("Ghi chú trên giấy chứng nhận"), validators=[Optional(), Length(max=1000)])
    password = PasswordField(_l("Mật khẩu của bạn (xác nhận chữ ký)"), validators=[DataRequired()])


class AmendForm(LabForm):
    reason = TextAreaField(_l("Lý do sửa đổi"), validators=[DataRequired(), Length(max=1000)])
    remarks = TextAreaField(_l("Ghi chú thêm"), validators=[Optional(), Length(max=1000)])
    password = PasswordField(_l("Mật khẩu của bạn (xác nhận chữ ký)"), validators=[DataRequired()])


class RevokeForm(LabForm):
    reason = TextAreaField(_l("Lý do thu hồi"), validators=[DataRequired(), Length(max=1000)])
    password = PasswordField(_l("Mật khẩu của bạn (xác nhận thu hồi)"), validators=[DataRequired()])


class VoidForm(LabForm):
    reason = TextAreaField(_l("Lý do hủy số"), validators=[DataRequired(), Length(max=1000)])


class BatchForm(LabForm):
    password = PasswordField(_l("Mật khẩu của bạn (xác nhận chữ ký)"), validators=[DataRequired()])


class BatchResumeForm(LabForm):
    """Resume an interrupted batch: the signatory's password was given when it started."""


class StickerReceiveForm(LabForm):
    prefix = StringField(_l("Tiền tố số tem"), default="VL ", validators=[Optional(), Length(max=20)])
    first = LocalIntegerField(_l("Từ số"), validators=[DataRequired(), NumberRange(min=0)])
    last = LocalIntegerField(_l("Đến số"), validators=[DataRequired(), NumberRange(min=0)])
    digits = LocalIntegerField(_l("Số chữ số"), default=7, validators=[DataRequired(), NumberRange(min=1, max=12)])
    received_on = DateField(_l("Ngày nhận"), validators=[DataRequired()])
    supplier = StringField(_l("Nơi cấp"), validators=[Optional(), Length(max=300)])


class StickerHandOutForm(LabForm):
    serials = TextAreaField(_l("Số tem (mỗi dòng một số)"), validators=[DataRequired()])
    holder_id = SelectField(_l("Giao cho"), coerce=int, validators=[DataRequired()])


class StickerDiscardForm(LabForm):
    serial = StringField(_l("Số tem"), validators=[DataRequired(), Length(max=40)])
    state = SelectField(
        _l("Trạng thái"), choices=choices([("spoiled", _l("Hỏng khi dán")), ("voided", _l("Hủy (mất, thu hồi)"))])
    )
    reason = StringField(_l("Lý do"), validators=[DataRequired(), Length(max=500)])


class LookupForm(LabForm):
    class Meta:
        csrf = False  # a GET search form; nothing is changed

    number = StringField(_l("Số giấy chứng nhận"), validators=[DataRequired(), Length(max=70)])
    code = StringField(_l("Mã tra cứu"), validators=[DataRequired(), Length(max=12)])


class UploadForm(LabForm):
    file = FileField(_l("Tệp PDF hoặc DCC (XML) của giấy chứng nhận"), validators=[FileRequired()])


class NotifyForm(LabForm):
    message = TextAreaField(_l("Nội dung thông báo"), validators=[DataRequired(), Length(max=4000)])


class NumberFormatForm(LabForm):
    series = SelectField(
        _l("Loại"), choices=choices([("verification", _l("Kiểm định")), ("calibration", _l("Hiệu chuẩn"))])
    )
    number_format = StringField(_l("Mẫu số"), validators=[DataRequired(), Length(max=80)])
