"""The files of deploy/: the gunicorn configuration loads and serves the app, the systemd units carry what they need
and run commands that exist, nginx accepts the site (when nginx is installed)."""

import configparser
import os
import re
import runpy
import shlex
import shutil
import subprocess
from pathlib import Path

import pytest

DEPLOY = Path(__file__).resolve().parents[2] / "deploy"
UNITS = {
    "lims-web.service": {"Unit": {"Description", "After"}, "Service": {"ExecStart", "User", "EnvironmentFile"}},
    "lims-worker.service": {"Unit": {"Description"}, "Service": {"ExecStart", "User", "EnvironmentFile", "Restart"}},
    "lims-daily.service": {"Unit": {"Description"}, "Service": {"Type", "ExecStart", "User", "EnvironmentFile"}},
    "lims-daily.timer": {"Unit": {"Description"}, "Timer": {"OnCalendar", "Unit", "Persistent"}},
}


def _unit(name: str) -> configparser.ConfigParser:
    parser = configparser.ConfigParser(interpolation=None, strict=True)
    parser.optionxform = str  # systemd keys are case-sensitive
    parser.read_string((DEPLOY / name).read_text(encoding="utf-8"), source=name)
    return parser


def test_the_gunicorn_configuration_loads_and_names_the_app(monkeypatch, tmp_path):
    from gunicorn.config import Config
    from gunicorn.util import import_app

    monkeypatch.setenv("WEB_CONCURRENCY", "3")
    monkeypatch.setenv("LIMS_METRICS", "1")
    monkeypatch.setenv("PROMETHEUS_MULTIPROC_DIR", str(tmp_path / "metrics"))
    monkeypatch.setenv("LIMS_INSTANCE_PATH", str(tmp_path / "instance"))
    monkeypatch.setenv("LIMS_WEB_WORKERS", "1")  # so that the value the configuration exports is undone after
    namespace = runpy.run_path(str(DEPLOY / "gunicorn.conf.py"))
    config = Config()
    for key, value in namespace.items():
        if key in config.settings:
            config.set(key, value)  # gunicorn's own validation of each setting
    assert config.workers == 3 and config.bind == ["127.0.0.1:8000"]
    assert os.environ["LIMS_WEB_WORKERS"] == "3"
    (tmp_path / "metrics").mkdir()
    (tmp_path / "metrics" / "counter_999.db").write_bytes(b"stale")
    config.on_starting(None)
    assert list((tmp_path / "metrics").iterdir()) == []
    app = import_app(config.wsgi_app)
    assert app.name == "lims.app"


@pytest.mark.parametrize("name", sorted(UNITS))
def test_each_systemd_unit_parses_and_has_the_keys_it_needs(name):
    unit = _unit(name)
    for section, keys in UNITS[name].items():
        assert section in unit, f"{name} has no [{section}]"
        assert keys <= set(unit[section]), f"{name} [{section}] lacks {sorted(keys - set(unit[section]))}"
    if name.endswith(".service") and "Install" in unit:
        assert unit["Install"]["WantedBy"] == "multi-user.target"
    if name.endswith(".timer"):
        assert unit["Install"]["WantedBy"] == "timers.target"
        assert unit["Timer"]["Unit"] in UNITS


@pytest.mark.parametrize("name", [name for name in sorted(UNITS) if name.endswith(".service")])
def test_each_service_runs_a_command_that_exists(app, name):
    command = shlex.split(_unit(name)["Service"]["ExecStart"])
    program = Path(command[0]).name
    if program == "gunicorn":
        assert command[1:] == ["--config", "/opt/lims/deploy/gunicorn.conf.py"]
        return
    assert program == "lims"
    from lims.cli import main

    with app.app_context():
        result = app.test_cli_runner().invoke(main, [*command[1:], "--help"])
    assert result.exit_code == 0, result.output


@pytest.mark.skipif(shutil.which("nginx") is None, reason="nginx is not installed")
def test_nginx_accepts_the_site(tmp_path):
    """nginx -t on the site, with a throw-away certificate in place of the lab's."""
    from datetime import UTC, datetime, timedelta

    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "lims.example.gov.vn")])
    now = datetime.now(UTC)
    certificate = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(1)
        .not_valid_before(now)
        .not_valid_after(now + timedelta(days=1))
        .sign(key, hashes.SHA256())
    )
    (tmp_path / "cert.pem").write_bytes(certificate.public_bytes(serialization.Encoding.PEM))
    (tmp_path / "key.pem").write_bytes(
        key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    )
    site = (DEPLOY / "nginx-lims.conf").read_text(encoding="utf-8")
    site = re.sub(r"ssl_certificate \S+;", f"ssl_certificate {tmp_path / 'cert.pem'};", site)
    site = re.sub(r"ssl_certificate_key \S+;", f"ssl_certificate_key {tmp_path / 'key.pem'};", site)
    (tmp_path / "site.conf").write_text(site, encoding="utf-8")
    temp = " ".join(
        f"{kind}_temp_path {tmp_path / kind};" for kind in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi")
    )
    (tmp_path / "nginx.conf").write_text(
        f"pid {tmp_path / 'nginx.pid'};\nerror_log {tmp_path / 'error.log'};\nevents {{}}\n"
        f"http {{ access_log off; {temp} include {tmp_path / 'site.conf'}; }}\n",
        encoding="utf-8",
    )
    result = subprocess.run(
        ["nginx", "-t", "-p", str(tmp_path), "-c", str(tmp_path / "nginx.conf")], capture_output=True, text=True
    )
    assert result.returncode == 0, result.stderr
    assert "syntax is ok" in result.stderr
