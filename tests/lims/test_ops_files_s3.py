"""The file store on S3-compatible object storage, against moto's S3 server on 127.0.0.1 (started here)."""

import hashlib
import socket
import uuid

import pytest

from lims.core.files import FileMissing, LocalFolder, S3Bucket, open_store


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture(scope="module")
def s3_endpoint():
    """moto's S3 server on a free port of 127.0.0.1, with dummy credentials (nothing leaves this machine)."""
    from moto.server import ThreadedMotoServer

    patch = pytest.MonkeyPatch()
    for name, value in {
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_DEFAULT_REGION": "us-east-1",
        "AWS_EC2_METADATA_DISABLED": "true",
        "AWS_CONFIG_FILE": "/nonexistent",
        "AWS_SHARED_CREDENTIALS_FILE": "/nonexistent",
    }.items():
        patch.setenv(name, value)
    port = _free_port()
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    yield f"http://127.0.0.1:{port}"
    server.stop()
    patch.undo()


@pytest.fixture()
def bucket_url(s3_endpoint):
    import boto3

    name = f"lims-{uuid.uuid4().hex[:12]}"
    boto3.client("s3", endpoint_url=s3_endpoint).create_bucket(Bucket=name)
    return f"s3://{name}/lab-files?endpoint_url={s3_endpoint}"


def test_two_servers_share_files_through_the_bucket(bucket_url):
    first, second = open_store(bucket_url, "/unused"), open_store(bucket_url, "/unused")
    assert isinstance(first, S3Bucket) and first.prefix == "lab-files/"
    data = b"%PDF-1.7 issued on server one"
    digest = hashlib.sha256(data).hexdigest()
    first.write(digest, data)
    first.write(digest, data)  # storing the same bytes again changes nothing
    assert second.exists(digest) and second.read(digest) == data
    assert list(second.digests()) == [digest]
    second.check_ready()
    missing = hashlib.sha256(b"never stored").hexdigest()
    assert not second.exists(missing)
    with pytest.raises(FileMissing):
        second.read(missing)


def test_a_missing_bucket_fails_the_readiness_check(s3_endpoint):
    store = open_store(f"s3://no-such-bucket-{uuid.uuid4().hex[:8]}?endpoint_url={s3_endpoint}", "/unused")
    with pytest.raises(Exception):  # noqa: B017 - botocore's ClientError; /readyz reports its class name only
        store.check_ready()


def test_the_files_url_chooses_the_backend(tmp_path):
    assert isinstance(open_store(None, tmp_path), LocalFolder)
    assert open_store(f"file://{tmp_path}/shared", "/unused").root == tmp_path / "shared"
    for bad in ("ftp://host/files", "s3://?endpoint_url=http://127.0.0.1:9", "s3://b/p?secret=1"):
        with pytest.raises(ValueError, match="LIMS_FILES_URL"):
            open_store(bad, tmp_path)


def test_the_lab_issues_serves_backs_up_and_restores_with_files_in_the_bucket(
    app, client, session, make_user, make_organisation, bucket_url, new_database_url, backend, tmp_path, monkeypatch
):
    """Certificates issued by a server whose files are in the bucket are in the bucket, served from it, verified
    by `lims files verify`, backed up, and restored into a deployment that keeps its files in a local folder."""
    from lims.app import create_app
    from lims.issuing import services
    from tests.conftest import TEST_PASSWORD, make_config
    from tests.lims.test_issuing_support import make_world
    from tests.lims.test_ops_backup import PASSPHRASE, run

    bucket = open_store(bucket_url, "/unused")
    monkeypatch.setitem(app.extensions, "lims_files", bucket)
    world = make_world(session, make_user, make_organisation, app)
    world.stickers()
    certificate = services.issue_certificate(
        session, world.job(), world.signatory, TEST_PASSWORD, sticker_serial="VL 0000001"
    )
    session.commit()
    assert list(bucket.digests()) == [certificate.pdf_sha256]
    assert client.get("/readyz").get_json()["checks"]["files"] == "ok"
    verify = run(app, "files", "verify")
    assert verify.exit_code == 0 and "1 files checked in bucket" in verify.output

    result = run(app, "backup", str(tmp_path / "backup"), "--passphrase", PASSPHRASE)
    assert result.exit_code == 0, result.output
    restored = create_app(make_config(new_database_url(backend, "s3restore"), tmp_path / "restored"))
    result = run(restored, "restore", str(tmp_path / "backup"), "--passphrase", PASSPHRASE)
    assert result.exit_code == 0, result.output
    with restored.app_context():
        from lims.core.files import file_store, read_bytes
        from lims.extensions import db

        assert isinstance(file_store(), LocalFolder)
        assert hashlib.sha256(read_bytes(certificate.pdf_sha256)).hexdigest() == certificate.pdf_sha256
        db.engine.dispose()
