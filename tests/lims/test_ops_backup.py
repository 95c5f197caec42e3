"""Backup and restore round trips on both databases (counts, file hashes, audit chain), and `lims files verify`."""

import hashlib
import json
from pathlib import Path

import pytest

from tests.conftest import TEST_PASSWORD, make_config
from tests.lims.test_issuing_support import make_world

PASSPHRASE = "backup passphrase for the tests"


@pytest.fixture()
def lab_with_records(app, session, make_user, make_organisation):
    """Two issued certificates (signed PDFs in the store), a scanned document, and a signed audit checkpoint."""
    from lims.audit.services import anchor_chain
    from lims.core.files import store_bytes
    from lims.issuing import services

    world = make_world(session, make_user, make_organisation, app)
    world.stickers()
    certificates = [
        services.issue_certificate(session, world.signatory, world.job(), TEST_PASSWORD, sticker_serial=serial)
        for serial in ("VL 0000001", "VL 0000002")
    ]
    session.commit()
    store_bytes(b"%PDF-1.4 a file nobody names")
    anchor_chain(session)
    session.commit()
    return certificates


@pytest.fixture()
def empty_deployment(backend, new_database_url, tmp_path):
    """A second deployment of the same backend: a new empty database, file store and key folder."""
    from lims.app import create_app

    app = create_app(make_config(new_database_url(backend, "restore"), tmp_path / "restored"))
    yield app
    with app.app_context():
        from lims.extensions import db

        db.engine.dispose()


def run(app, *args: str):
    """Run a `lims` command in ``app`` (with_appcontext would otherwise use the app whose context is current)."""
    with app.app_context():
        return app.test_cli_runner().invoke(args=list(args))


def _backup(app, folder: Path, passphrase: str = PASSPHRASE):
    result = run(app, "backup", str(folder), "--passphrase", passphrase)
    assert result.exit_code == 0, result.output
    return json.loads((folder / "manifest.json").read_text())


def _restore(app, folder: Path, passphrase: str = PASSPHRASE):
    return run(app, "restore", str(folder), "--passphrase", passphrase)


def test_backup_and_restore_round_trip(app, session, lab_with_records, empty_deployment, tmp_path):
    from certificates.signing import verify_signature
    from lims.audit.services import verify_chain
    from lims.core.files import read_bytes
    from lims.issuing.keys import lab_signer
    from lims.issuing.models import Certificate
    from lims.ops.backup import _counts

    folder = tmp_path / "backup-1"
    manifest = _backup(app, folder)
    source_chain = verify_chain(session)
    source_counts = _counts(session)
    assert manifest["audit"]["intact"] is True
    assert (manifest["audit"]["head_seq"], manifest["audit"]["head_hash"]) == (
        source_chain.head_seq,
        source_chain.head_hash,
    )
    assert manifest["counts"] == source_counts and manifest["counts"]["certificate"] == 2
    assert set(manifest["keys"]) == {"keys/signing-key.p12", "keys/signing-key-cert.pem", "keys/audit-anchor.pem"}
    for certificate in lab_with_records:
        name = f"files/{certificate.pdf_sha256[:2]}/{certificate.pdf_sha256[2:4]}/{certificate.pdf_sha256}"
        assert manifest["files"][name] == certificate.pdf_sha256
    # The keys leave the server encrypted: the passphrase is needed to read them.
    assert b"PRIVATE KEY-----" in (folder / "keys/audit-anchor.pem").read_bytes()
    assert b"ENCRYPTED" in (folder / "keys/audit-anchor.pem").read_bytes()

    result = _restore(empty_deployment, folder)
    assert result.exit_code == 0, result.output
    assert "audit chain verified" in result.output
    with empty_deployment.app_context():
        from lims.extensions import db

        restored = db.session
        chain = verify_chain(restored)
        assert chain.ok and chain.anchors_checked >= 1
        assert (chain.head_seq, chain.head_hash) == (source_chain.head_seq, source_chain.head_hash)
        assert _counts(restored) == source_counts
        for certificate in lab_with_records:
            copy = restored.get(Certificate, certificate.id)
            pdf = read_bytes(copy.pdf_sha256)
            assert hashlib.sha256(pdf).hexdigest() == certificate.pdf_sha256
            restored_cert = Path(empty_deployment.config["SIGNING_KEY_PATH"]).with_name("lab-signing-cert.pem")
            status = verify_signature(pdf, [restored_cert])
            assert status.ok, status.problem
        # The restored key is the lab's own (not a new one) and signs with this deployment's settings.
        assert lab_signer().subject
        assert _certificate_of(empty_deployment) == _certificate_of(app)
        db.session.remove()
    verify = run(empty_deployment, "files", "verify")
    assert verify.exit_code == 0, verify.output
    assert " 0 missing, 0 corrupted" in verify.output


def _certificate_of(app) -> bytes:
    from cryptography.hazmat.primitives.serialization import Encoding, pkcs12

    key_file = Path(app.config["SIGNING_KEY_PATH"]).read_bytes()
    _key, certificate, _extra = pkcs12.load_key_and_certificates(key_file, None)
    return certificate.public_bytes(Encoding.DER)


def test_restore_refuses_to_write_over_existing_data(app, lab_with_records, tmp_path):
    folder = tmp_path / "backup-2"
    _backup(app, folder)
    result = _restore(app, folder)
    assert result.exit_code != 0
    assert "not empty" in result.output


def test_restore_refuses_a_damaged_backup_and_a_wrong_passphrase_leaving_nothing(
    app, lab_with_records, empty_deployment, tmp_path
):
    import sqlalchemy as sa

    folder = tmp_path / "backup-3"
    manifest = _backup(app, folder)
    result = _restore(empty_deployment, folder, passphrase="not the passphrase at all")
    assert result.exit_code != 0 and "passphrase does not open" in result.output
    stored = next(name for name in manifest["files"] if name.startswith("files/"))
    (folder / stored).write_bytes(b"altered")
    result = _restore(empty_deployment, folder)
    assert result.exit_code != 0 and f"{stored} does not match its SHA-256" in result.output
    with empty_deployment.app_context():
        from lims.core.files import file_store
        from lims.extensions import db

        assert sa.inspect(db.engine).get_table_names() == []
        assert list(file_store().digests()) == []
        assert not Path(empty_deployment.config["SIGNING_KEY_PATH"]).exists()


def test_a_backup_cut_short_has_no_manifest_and_is_refused(empty_deployment, tmp_path):
    folder = tmp_path / "half"
    (folder / "files").mkdir(parents=True)
    result = _restore(empty_deployment, folder)
    assert result.exit_code != 0 and "has no manifest.json" in result.output


def test_backup_needs_a_new_folder_and_a_real_passphrase(app, lab_with_records, tmp_path):
    result = run(app, "backup", str(tmp_path / "b"), "--passphrase", "short")
    assert result.exit_code != 0 and "at least 12 characters" in result.output
    (tmp_path / "used").mkdir()
    (tmp_path / "used" / "x").write_text("earlier backup")
    result = run(app, "backup", str(tmp_path / "used"), "--passphrase", PASSPHRASE)
    assert result.exit_code != 0 and "not empty" in result.output


def test_files_verify_names_missing_and_corrupted_files_and_lists_orphans(app, session, lab_with_records):
    from lims.core.files import file_store

    store = file_store()
    first, second = lab_with_records
    saved = {digest: store.read(digest) for digest in (first.pdf_sha256, second.pdf_sha256)}
    try:
        store.path_for(first.pdf_sha256).unlink()
        store.path_for(second.pdf_sha256).write_bytes(b"%PDF-1.4 replaced")
        result = run(app, "files", "verify")
        assert result.exit_code == 1
        assert f"MISSING {first.pdf_sha256} (named by certificate.pdf_sha256)" in result.output
        assert f"CORRUPTED {second.pdf_sha256}" in result.output
        orphan = hashlib.sha256(b"%PDF-1.4 a file nobody names").hexdigest()
        assert f"orphan {orphan}" in result.output
    finally:
        for digest, data in saved.items():
            store.path_for(digest).unlink(missing_ok=True)
            store.write(digest, data)


def test_every_column_naming_a_stored_file_is_known(app_context):
    """A new kind of stored file must follow the *_sha256 convention to be backed up and verified."""
    from lims.ops.filecheck import file_columns

    assert set(file_columns()) >= {
        ("certificate", "pdf_sha256"),
        ("document_version", "file_sha256"),
        ("standard_calibration", "document_sha256"),
        ("competence_record", "document_sha256"),
    }


def test_each_application_signs_checkpoints_with_its_own_audit_key(app, session, empty_deployment):
    """A second application in the process (the restore target) must not redirect the first one's audit key: the
    CI run that found this had the source lab's checkpoint key written into another deployment's folder."""
    from lims.audit.services import anchor_chain

    own_key = Path(app.config["AUDIT_ANCHOR_KEY_PATH"])
    other_key = Path(empty_deployment.config["AUDIT_ANCHOR_KEY_PATH"])
    assert own_key != other_key
    anchor_chain(session)
    session.commit()
    assert own_key.exists()
    assert not other_key.exists()
