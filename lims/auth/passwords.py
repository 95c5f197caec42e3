"""Password hashing with argon2id (OWASP's first choice)."""

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

_hasher = PasswordHasher()
# Checked against when the username does not exist, so a guess costs the same time either way.
_DUMMY_HASH = _hasher.hash("not-a-real-password")


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def check_password(password_hash: str | None, password: str) -> bool:
    try:
        return _hasher.verify(password_hash or _DUMMY_HASH, password) and password_hash is not None
    except (VerificationError, InvalidHashError):
        return False


def needs_rehash(password_hash: str) -> bool:
    return _hasher.check_needs_rehash(password_hash)


# NIST SP 800-63B-4, 3.1.1.2: a password that is the only factor has at least 15 characters; at least 64 must be
# accepted; no composition rules (no "one digit, one capital"); a password found on a blocklist of common, expected
# or breached values is refused, and so is one built from the account's own name.
MINIMUM_LENGTH = 15
MAXIMUM_LENGTH = 256
# zxcvbn's estimate of the guesses an attacker needs, from its lists of passwords seen in breaches, common words and
# names, and its detection of repeats, sequences, keyboard walks and dates. 10^10 is its "very unguessable" mark:
# "aaaaaaaaaaaaaaa", "123456789012345", "passwordpassword" and "<username>123456789" all fall far below it.
MINIMUM_GUESSES_LOG10 = 10
# The estimate is quadratic in length; the first 64 characters decide (a longer password is not weaker for it).
ESTIMATED_PREFIX = 64


def password_problem(password: str, *, username: str, full_name: str = "", current_hash: str | None = None):
    """Return why a password a person chose is refused (a sentence to show at the field), or None if it is fine.

    :param current_hash: the hash of the password being replaced, which may not be chosen again.
    """
    from flask_babel import gettext as _

    if len(password) < MINIMUM_LENGTH:
        return _("Mật khẩu cần ít nhất %(n)d ký tự (một cụm từ dễ nhớ là tốt nhất).", n=MINIMUM_LENGTH)
    if len(password) > MAXIMUM_LENGTH:
        return _("Mật khẩu dài quá %(n)d ký tự.", n=MAXIMUM_LENGTH)
    if username and password.casefold() == username.casefold():
        return _("Mật khẩu không được trùng tên đăng nhập.")
    if current_hash is not None and check_password(current_hash, password):
        return _("Mật khẩu mới phải khác mật khẩu hiện tại.")
    if _guesses_log10(password, [username, *full_name.split()]) < MINIMUM_GUESSES_LOG10:
        return _(
            "Mật khẩu quá dễ đoán: có trong danh sách mật khẩu phổ biến hoặc bị lộ, hoặc chỉ là ký tự lặp, dãy số, "
            "hàng phím hay tên của chính bạn."
        )
    return None


def _guesses_log10(password: str, context: list[str]) -> float:
    from zxcvbn import zxcvbn

    return zxcvbn(password[:ESTIMATED_PREFIX], user_inputs=[word for word in context if word])["guesses_log10"]
