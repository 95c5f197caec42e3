"""Configuration from environment variables: one Config class, read when the app is created."""

import os
from datetime import timedelta
from pathlib import Path

DEFAULT_SECRET_KEY = "dev-only-insecure-secret-key"  # noqa: S105 - refused in production, see validate()
PROJECT_ROOT = Path(__file__).resolve().parent.parent


def _env(name: str, default: str | None = None) -> str | None:
    value = os.environ.get(name)
    return value if value not in (None, "") else default


class ConfigError(RuntimeError):
    """The configuration cannot run safely; the message says which variable to set."""


class Config:
    """Settings of one deployment of the lab system (every value overridable by an LIMS_* variable)."""

    def __init__(self, **overrides):
        instance = Path(_env("LIMS_INSTANCE_PATH", str(PROJECT_ROOT / "instance")))
        self.INSTANCE_PATH = str(instance)
        self.ENV = _env("LIMS_ENV", "development")  # development | production | testing
        self.SECRET_KEY = _env("LIMS_SECRET_KEY", DEFAULT_SECRET_KEY)
        self.SQLALCHEMY_DATABASE_URI = _env("LIMS_DATABASE_URL", f"sqlite:///{instance / 'lims.sqlite3'}")
        self.SQLALCHEMY_ENGINE_OPTIONS = {"pool_pre_ping": True}
        # Empty: links printed in QR codes follow the host and port being served (development only; see public_url).
        self.PUBLIC_URL = _env("LIMS_PUBLIC_URL", "").rstrip("/")
        self.TIMEZONE = _env("LIMS_TIMEZONE", "Asia/Ho_Chi_Minh")
        # The lab's identity is a setting, never a constant: provinces merged in 2025 and names change.
        self.LAB_NAME = _env("LIMS_LAB_NAME", "Trung tâm Kỹ thuật Tiêu chuẩn Đo lường Chất lượng")
        self.LAB_NAME_EN = _env("LIMS_LAB_NAME_EN", "Centre for Standards, Metrology and Quality Technical Services")
        self.LAB_SHORT_NAME = _env("LIMS_LAB_SHORT_NAME", "TTKT TĐC")
        self.LAB_ADDRESS = _env("LIMS_LAB_ADDRESS", "Số 1, đường Nguyễn Thị Minh Khai, phường Trà Vinh, tỉnh Vĩnh Long")
        self.LAB_REGISTRATION_NUMBER = _env("LIMS_LAB_REGISTRATION_NUMBER", "ĐK 000/TĐC-ĐL")
        self.LAB_PROVINCE = _env("LIMS_LAB_PROVINCE", "Vĩnh Long")
        self.LAB_PARENT_BODY = _env("LIMS_LAB_PARENT_BODY", "Sở Khoa học và Công nghệ tỉnh Vĩnh Long")
        self.LAB_UNIT_CODE = _env("LIMS_LAB_UNIT_CODE", "VL")
        self.REDIS_URL = _env("LIMS_REDIS_URL")
        self.SMTP_URL = _env("LIMS_SMTP_URL")
        self.SIGNING_KEY_PATH = _env("LIMS_SIGNING_KEY_PATH", str(instance / "keys" / "lab-signing.p12"))
        self.SIGNING_KEY_PASSPHRASE = _env("LIMS_SIGNING_KEY_PASSPHRASE", "")
        # The lab's real key on a PKCS#11 token (a CA's USB key): used instead of the file above when a module is set.
        self.SIGNING_PKCS11_MODULE = _env("LIMS_SIGNING_PKCS11_MODULE")
        self.SIGNING_PKCS11_TOKEN = _env("LIMS_SIGNING_PKCS11_TOKEN", "")
        self.SIGNING_PKCS11_PIN = _env("LIMS_SIGNING_PKCS11_PIN", "")
        self.SIGNING_PKCS11_KEY = _env("LIMS_SIGNING_PKCS11_KEY", "")
        self.SIGNING_PKCS11_CERT = _env("LIMS_SIGNING_PKCS11_CERT", "")
        self.AUDIT_ANCHOR_KEY_PATH = _env("LIMS_AUDIT_ANCHOR_KEY_PATH", str(instance / "keys" / "audit-anchor.pem"))
        self.UPLOAD_PATH = _env("LIMS_UPLOAD_PATH", str(instance / "files"))
        # Where stored files live: unset = the folder above; s3://bucket/prefix?endpoint_url=... for shared storage.
        self.FILES_URL = _env("LIMS_FILES_URL")
        # Operations: request log format (text | json), Prometheus metrics and who may read them, pg_dump's path.
        self.LOG_FORMAT = _env("LIMS_LOG_FORMAT", "text")
        self.METRICS = _env("LIMS_METRICS", "0") == "1"
        self.METRICS_ALLOW = _env("LIMS_METRICS_ALLOW", "127.0.0.1/32,::1/128")
        self.PG_DUMP = _env("LIMS_PG_DUMP", "pg_dump")
        self.PG_RESTORE = _env("LIMS_PG_RESTORE", "pg_restore")
        self.BACKUP_PASSPHRASE = _env("LIMS_BACKUP_PASSPHRASE", "")
        self.MAX_CONTENT_LENGTH = int(_env("LIMS_MAX_UPLOAD_BYTES", str(20 * 1024 * 1024)))
        # Form fields other than files are held in memory: a page's form is a few kilobytes, a record's at most ~100.
        self.MAX_FORM_MEMORY_SIZE = 1024 * 1024
        self.MAX_FORM_PARTS = 2000
        self.MAX_JSON_DEPTH = 32
        # Consecutive failed sign-ins that lock an account (NIST SP 800-63B-4: at most 100); see lims/auth/throttle.py
        self.LOGIN_LOCK_AFTER = int(_env("LIMS_LOGIN_LOCK_AFTER", "100"))
        # How many reverse proxies stand in front of the app (0: none, the peer address is the client's). Set it to
        # the number of proxies that add X-Forwarded-For / X-Forwarded-Proto; more would let clients forge them.
        self.TRUSTED_PROXIES = int(_env("LIMS_TRUSTED_PROXIES", "0"))
        # Public certificate look-ups allowed per client address and window (Flask-Limiter, lims/core/limits.py).
        self.VERIFY_RATE_LIMIT = int(_env("LIMS_VERIFY_RATE_LIMIT", "30"))
        self.VERIFY_RATE_MINUTES = int(_env("LIMS_VERIFY_RATE_MINUTES", "10"))

        self.BABEL_DEFAULT_LOCALE = "vi"
        self.BABEL_DEFAULT_TIMEZONE = self.TIMEZONE
        self.BABEL_TRANSLATION_DIRECTORIES = str(Path(__file__).resolve().parent / "translations")
        self.LANGUAGES = ("vi", "en")
        self.BOOTSTRAP_SERVE_LOCAL = True  # labs often have no internet
        self.WTF_CSRF_TIME_LIMIT = None  # a technician's form may stay open all morning
        self.SESSION_COOKIE_HTTPONLY = True
        self.SESSION_COOKIE_SAMESITE = "Lax"
        self.SESSION_COOKIE_SECURE = self.ENV == "production"
        self.REMEMBER_COOKIE_HTTPONLY = True
        self.REMEMBER_COOKIE_SECURE = self.ENV == "production"
        self.REMEMBER_COOKIE_SAMESITE = "Lax"
        self.REMEMBER_COOKIE_DURATION = timedelta(days=30)  # Flask-Login's default is a year
        self.TESTING = self.ENV == "testing"
        for key, value in overrides.items():
            setattr(self, key, value)

    def validate(self) -> None:
        """Refuse to run production with settings that would make it unsafe."""
        weak_key = not self.SECRET_KEY or self.SECRET_KEY == DEFAULT_SECRET_KEY or len(self.SECRET_KEY) < 32
        if self.ENV == "production" and weak_key:
            raise ConfigError(
                "LIMS_SECRET_KEY must be set to a random value of at least 32 characters in production "
                '(e.g. python -c "import secrets; print(secrets.token_urlsafe(48))")'
            )
