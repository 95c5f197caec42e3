"""The words of the record forms that the procedures of instruments/ write in English or as codes: hints and the
options of a choice, in the page's language."""

import re
from typing import Any

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

# A procedure's English hint (help_en) -> its Vietnamese, the source of the catalogue's message.
HINTS = {
    'text with a mass unit, e.g. "10 kg", "45 mg"': _l('khối lượng kèm đơn vị, vd. "10 kg", "45 mg"'),
    "when the density is unknown (R 111-1 Table 5 limits)": _l(
        "khi chưa biết khối lượng riêng (giới hạn của Bảng 5, R 111-1)"
    ),
    "ABBA and ABA": _l("ABBA và ABA"),
    'or {"density", "density_uncertainty"} in kg/m3': _l('hoặc {"density", "density_uncertainty"} theo kg/m3'),
    "change-point method, only where d = e": _l("phương pháp điểm chuyển, chỉ khi d = e"),
    "defaults to e": _l("để trống: bằng e"),
    "defaults to d": _l("để trống: bằng d"),
    "multi-interval and multiple-range instruments are not computed by this procedure": _l(
        "quy trình này không tính cân nhiều khoảng và cân nhiều phạm vi"
    ),
    "6 for classes I and II, 3 for III and IIII": _l("6 với cấp I và II, 3 với cấp III và IIII"),
    "include Min, the loads where the MPE changes, and Max": _l("gồm Min, các mức tải nơi MPE thay đổi, và Max"),
    "e.g. at Min, 1/2 Max and Max; adding 1.4 d must raise the indication by d": _l(
        "vd. tại Min, 1/2 Max và Max; thêm 1,4 d phải làm số chỉ tăng d"
    ),
    "left empty: 0.1·ρ0/(√3·ρc) of the load (cg-18 7.1.2, balance not adjusted just before calibration)": _l(
        "để trống: 0,1·ρ0/(√3·ρc) của tải (cg-18 7.1.2, cân không được hiệu chỉnh ngay trước khi hiệu chuẩn)"
    ),
    "weights not at the balance's temperature (cg-18 7.1.2)": _l("quả cân không cùng nhiệt độ với cân (cg-18 7.1.2)"),
}
POINTS = re.compile(r"(\d+) points, in the order of the definition")
# The options of a choice that are codes; units, classes and cycle names are the same in both languages.
CHOICES = {
    "verification": _l("MPE khi kiểm định"),
    "in_service": _l("MPE khi sử dụng"),
    "increasing": _l("↑ tăng"),
    "decreasing": _l("↓ giảm"),
    "simple": _l("Chấp nhận đơn giản (ILAC-G8 4.2.1)"),
    "guarded": _l("Chấp nhận có dải bảo vệ w = U (ILAC-G8 4.2.2)"),
}


def hint(help_en: str) -> Any:
    """Return a procedure's hint in the page's language (as written when the catalogue does not know it)."""
    if not help_en:
        return ""
    if help_en in HINTS:
        return HINTS[help_en]
    if match := POINTS.fullmatch(help_en):
        return _("%(count)s điểm, theo thứ tự của định nghĩa", count=match.group(1))
    return help_en


def choice_labels(choices: list) -> dict[str, Any]:
    """Return the label of each option of a choice that is a code."""
    return {choice: CHOICES[choice] for choice in choices if choice in CHOICES}
