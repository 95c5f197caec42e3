"""An inspector walks from the readiness view to the evidence pack download."""

import io
import json
import zipfile
from pathlib import Path

import pytest

pytestmark = pytest.mark.browser


@pytest.fixture()
def quality_records(session):
    from lims.auth.permissions import SYSTEM
    from lims.customers.models import Organisation
    from lims.quality import services
    from lims.quality.catalogue import seed_iso17025

    lab = Organisation(name="Trung tâm Kỹ thuật TĐC", kind="lab")
    session.add(lab)
    seed_iso17025(session, SYSTEM)
    services.record_chain_check(session, SYSTEM)
    session.commit()
    return lab


def test_an_inspector_reads_readiness_and_downloads_the_evidence_pack(page, sign_in_as, quality_records):
    violations = []
    page.on("console", lambda m: violations.append(m.text) if "Content Security Policy" in m.text else None)
    sign_in_as("inspector")
    page.goto("/quality/")
    assert page.inner_text("[data-testid=readiness-percent]").endswith("%")
    row = page.locator("[data-testid=readiness-table] tr[data-code='7.11']")
    assert row.locator("[data-status]").get_attribute("data-status") == "present"
    assert (
        page.locator("[data-testid=readiness-table] tr[data-code='7.3'] [data-status]").get_attribute("data-status")
        == "missing"
    )
    page.click("[data-testid=to-pack]")
    page.select_option("#organisation_id", str(quality_records.id))
    page.fill("#start", "2026-01-01")
    page.fill("#end", "2026-12-31")
    with page.expect_download() as download_info:
        page.click("[data-testid=pack-download]")
    download = download_info.value
    assert download.suggested_filename.endswith(".zip")
    archive = zipfile.ZipFile(io.BytesIO(Path(download.path()).read_bytes()))
    manifest = json.loads(archive.read("manifest.json"))
    assert manifest["organisation"]["id"] == quality_records.id
    assert "self-assessment.pdf" in archive.namelist()
    assert violations == []
    # An inspector reads and never writes: no write buttons on the pages visited.
    page.goto("/quality/nonconformities")
    assert page.locator("[data-testid=sweep]").count() == 0
