"""The inspector's evidence pack: one ZIP whose manifest names every file with its SHA-256."""

import hashlib
import io
import json
import zipfile
from datetime import date

from pypdf import PdfReader

from lims.auth.permissions import SYSTEM
from lims.quality import services
from lims.quality.catalogue import seed_iso17025

FILES = {
    "self-assessment.pdf",
    "audit-chain-verification.json",
    "standards.csv",
    "certificates.csv",
    "nonconformities.csv",
}


def _seed(session, make_organisation):
    from lims.standards.models import Standard

    lab = make_organisation("Trung tâm Kỹ thuật", kind="lab")
    enterprise = make_organisation("Công ty B")
    seed_iso17025(session, SYSTEM)
    session.add(Standard(code="C-01", name="Bộ quả cân", kind="weight_set", due_on=date(2020, 1, 1)))
    services.raise_nonconformity(
        session,
        SYSTEM,
        kind="complaint",
        title="Khiếu nại của Công ty B",
        description="Sai số sê-ri",
        raised_on=date(2026, 2, 1),
        organisation_id=enterprise.id,
    )
    services.raise_nonconformity(
        session, SYSTEM, kind="nonconformity", title="Nhiệt độ phòng", description="26 °C", raised_on=date(2026, 3, 1)
    )
    services.record_chain_check(session, SYSTEM)
    session.commit()
    return lab, enterprise


def _download(client, organisation, start="2026-01-01", end="2026-12-31"):
    return client.get(f"/quality/pack/download?organisation_id={organisation.id}&start={start}&end={end}")


def test_an_inspector_downloads_a_pack_whose_manifest_hashes_match_its_files(client, login, session, make_organisation):
    lab, _enterprise = _seed(session, make_organisation)
    login("inspector")
    response = _download(client, lab)
    assert response.status_code == 200
    assert response.mimetype == "application/zip"
    archive = zipfile.ZipFile(io.BytesIO(response.data))
    assert set(archive.namelist()) == FILES | {"manifest.json"}
    manifest = json.loads(archive.read("manifest.json"))
    assert {entry["name"] for entry in manifest["files"]} == FILES
    for entry in manifest["files"]:
        data = archive.read(entry["name"])
        assert hashlib.sha256(data).hexdigest() == entry["sha256"]
        assert len(data) == entry["bytes"]
    assert manifest["period"] == {"from": "2026-01-01", "to": "2026-12-31"}
    chain = json.loads(archive.read("audit-chain-verification.json"))
    assert chain["verified_now"]["ok"] is True and chain["last_recorded_check"]["ok"] is True
    standards = archive.read("standards.csv").decode("utf-8-sig")
    assert "C-01" in standards and "overdue" in standards
    nonconformities = archive.read("nonconformities.csv").decode("utf-8-sig").splitlines()
    assert len(nonconformities) == 3  # header + both cases: the lab sees everything
    text = " ".join(page.extract_text() for page in PdfReader(io.BytesIO(archive.read("self-assessment.pdf"))).pages)
    assert "BÁO CÁO TỰ ĐÁNH GIÁ" in text and "6.4" in text


def test_a_pack_for_an_enterprise_holds_only_what_concerns_it(client, login, session, make_organisation):
    _lab, enterprise = _seed(session, make_organisation)
    login("inspector")
    archive = zipfile.ZipFile(io.BytesIO(_download(client, enterprise).data))
    rows = archive.read("nonconformities.csv").decode("utf-8-sig").splitlines()
    assert len(rows) == 2 and "Khiếu nại của Công ty B" in rows[1]


def test_an_inspector_limited_to_one_enterprise_cannot_pack_another(client, login, session, make_organisation):
    lab, enterprise = _seed(session, make_organisation)
    login("inspector", inspector_scope_ids=[enterprise.id])
    assert _download(client, lab).status_code == 404
    assert _download(client, enterprise).status_code == 200


def test_a_period_ending_before_it_starts_is_refused(client, login, session, make_organisation):
    lab, _ = _seed(session, make_organisation)
    login("inspector")
    assert _download(client, lab, start="2026-12-31", end="2026-01-01").status_code == 422


def test_the_self_assessment_report_downloads_as_a_pdf(client, login, session, make_organisation):
    _seed(session, make_organisation)
    login("manager")
    response = client.get("/quality/self-assessment.pdf")
    assert response.status_code == 200 and response.data.startswith(b"%PDF-")
