"""Refusals and labels go through Babel: no text in lims/ is written as a "tiếng Việt / English" literal."""

import ast
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
VIETNAMESE = re.compile(
    "[àáảãạăắằẳẵặâấầẩẫậđèéẻẽẹêếềểễệìíỉĩịòóỏõọôốồổỗộơớờởỡợùúủũụưứừửữựỳýỷỹỵ"
    "ÀÁẢÃẠĂẮẰẲẴẶÂẤẦẨẪẬĐÈÉẺẼẸÊẾỀỂỄỆÌÍỈĨỊÒÓỎÕỌÔỐỒỔỖỘƠỚỜỞỠỢÙÚỦŨỤƯỨỪỬỮỰỲÝỶỸỴ]"
)
# Demo data is what the lab's people would have typed: user data, not the program's words.
USER_DATA = {"demo.py"}
# Documents printed in both languages side by side (the quality pack, the plan report) and the words signed into a
# certificate: the same text whatever the language of the page that made them.
BILINGUAL_DOCUMENTS = {"lims/quality/reports.py", "lims/plan/reports.py"}
SIGNED_WORDS = {
    "Phê duyệt và ban hành / approved and issued",
    "Giấy chứng nhận hiệu chuẩn số (DCC 3.3.0) / Digital Calibration Certificate (DCC 3.3.0)",
    "Sửa đổi / Amendment:",
}


def _text(node: ast.AST) -> str | None:
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return node.value
    if isinstance(node, ast.JoinedStr):
        return "".join(part.value if isinstance(part, ast.Constant) else "{}" for part in node.values)
    return None


def is_bilingual(text: str) -> bool:
    """Say whether a literal is written "Vietnamese / English": Vietnamese before a " / ", none after it."""
    start = 0
    while (index := text.find(" / ", start)) >= 0:
        before, after = text[:index], text[index + 3 :]
        if VIETNAMESE.search(before) and not VIETNAMESE.search(after) and re.search(r"[A-Za-z]{2}", after):
            return True
        start = index + 1
    return False


def bilingual_literals(root: Path) -> list[str]:
    """Return "path:line: text" for every bilingual literal in the Python files under root."""
    found = []
    for path in sorted(root.rglob("*.py")):
        if path.name in USER_DATA or str(path.relative_to(ROOT)) in BILINGUAL_DOCUMENTS:
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            text = _text(node)
            if text and text not in SIGNED_WORDS and is_bilingual(text):
                found.append(f"{path.relative_to(ROOT)}:{node.lineno}: {text[:80]}")
    return found


def test_the_scan_recognises_a_bilingual_literal():
    assert is_bilingual("Không có công việc này / no such job")
    assert is_bilingual("Dòng {}: quy trình không phù hợp (kiểm định / hiệu chuẩn) / row {}: wrong procedure")
    assert not is_bilingual("Không có công việc này")
    assert not is_bilingual("kiểm định / hiệu chuẩn")
    assert not is_bilingual("kg / m³")


def test_no_bilingual_literal_in_lims():
    found = bilingual_literals(ROOT / "lims")
    assert found == [], "write the Vietnamese as a gettext message and its English in messages.po:\n" + "\n".join(found)
