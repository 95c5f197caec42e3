"""The self-assessment report (PDF) and the inspector's evidence pack (ZIP with a SHA-256 manifest)."""

import hashlib
import io
import json
import zipfile
from dataclasses import dataclass
from datetime import date

from flask import current_app
from sqlalchemy import select
from sqlalchemy.orm import Session

from certificates.document import Column, Lab, ResultTable
from certificates.report import Section, render_report
from instruments.formatting import format_measured
from lims.audit.services import verify_chain
from lims.core.exports import csv_bytes
from lims.customers.models import Organisation
from lims.issuing.models import Certificate
from lims.quality.evidence import CatalogueReadiness, catalogue_readiness
from lims.quality.models import ChainCheck, Nonconformity, RequirementCatalogue
from lims.standards.models import Standard

STATUS_WORDS = {
    "present": "Có bằng chứng / present",
    "stale": "Cần cập nhật / stale",
    "missing": "Thiếu / missing",
}
NC_STATUS_WORDS = {"open": "mở", "action": "đang khắc phục", "review": "chờ đánh giá hiệu lực", "closed": "đã đóng"}


def lab_identity() -> Lab:
    """Return the lab as the settings name it today."""
    config = current_app.config
    return Lab(
        name=config["LAB_NAME"],
        address=config["LAB_ADDRESS"],
        registration_number=config["LAB_REGISTRATION_NUMBER"],
        province=config["LAB_PROVINCE"],
        parent_body=config["LAB_PARENT_BODY"],
        short_name=config["LAB_SHORT_NAME"],
    )


def _d(day: date | None) -> str:
    return day.strftime("%d/%m/%Y") if day else "—"


def self_assessment_pdf(session: Session, today: date, catalogues: list[RequirementCatalogue] | None = None) -> bytes:
    """Render the self-assessment report: readiness of every catalogue, open actions, the audit chain's state."""
    if catalogues is None:
        catalogues = list(session.scalars(select(RequirementCatalogue).order_by(RequirementCatalogue.id)))
    readiness = [catalogue_readiness(session, catalogue, today) for catalogue in catalogues]
    sections = [_summary_section(readiness)]
    sections += [_catalogue_section(r) for r in readiness]
    sections.append(_nonconformity_section(session))
    sections.append(_chain_section(session))
    return render_report(
        "BÁO CÁO TỰ ĐÁNH GIÁ HỆ THỐNG QUẢN LÝ",
        "MANAGEMENT SYSTEM SELF-ASSESSMENT REPORT",
        lab_identity(),
        sections,
        reference=f"TĐG-{today:%Y%m%d}",
        issued=today,
    )


def _summary_section(readiness: list[CatalogueReadiness]) -> Section:
    rows = tuple(
        (
            r.catalogue.name,
            str(r.assessed),
            str(r.counts["present"]),
            str(r.counts["stale"]),
            str(r.counts["missing"]),
            f"{format_measured(r.percent, resolution=0.1)} %",
        )
        for r in readiness
    )
    table = ResultTable(
        columns=(
            Column("Bộ yêu cầu", "Requirement set"),
            Column("Số yêu cầu", "Requirements"),
            Column("Có bằng chứng", "Present"),
            Column("Cần cập nhật", "Stale"),
            Column("Thiếu", "Missing"),
            Column("Mức sẵn sàng", "Readiness"),
        ),
        rows=rows or (("—", "0", "0", "0", "0", "0 %"),),
    )
    return Section(
        "Tổng hợp mức sẵn sàng",
        "Readiness summary",
        (
            "Bằng chứng được lấy từ tài liệu được kiểm soát và từ hồ sơ hệ thống đang lưu (nhân sự, chuẩn đo lường, "
            "thử nghiệm thành thạo, giấy chứng nhận, nhật ký thay đổi).",
            table,
        ),
    )


def _catalogue_section(readiness: CatalogueReadiness) -> Section:
    rows = []
    for row in readiness.rows:
        evidence = "; ".join(item.label for item in row.items) or "—"
        title = row.requirement.title_vi + (f" / {row.requirement.title_en}" if row.requirement.title_en else "")
        rows.append((row.requirement.code, title, STATUS_WORDS[row.status], evidence[:600]))
    table = ResultTable(
        columns=(
            Column("Mục", "Clause"),
            Column("Yêu cầu", "Requirement"),
            Column("Tình trạng", "Status"),
            Column("Bằng chứng", "Evidence"),
        ),
        rows=tuple(rows) or (("—", "—", "—", "—"),),
    )
    return Section(readiness.catalogue.name, readiness.catalogue.code, (table,))


def _nonconformity_section(session: Session) -> Section:
    open_cases = session.scalars(
        select(Nonconformity).where(Nonconformity.status != "closed").order_by(Nonconformity.raised_on)
    ).all()
    rows = tuple(
        (n.number, n.clause or "—", n.title, NC_STATUS_WORDS.get(n.status, n.status), _d(n.due_on)) for n in open_cases
    )
    table = ResultTable(
        columns=(
            Column("Số", "No."),
            Column("Mục", "Clause"),
            Column("Nội dung", "Subject"),
            Column("Tình trạng", "Status"),
            Column("Hạn", "Due"),
        ),
        rows=rows or (("—", "—", "Không có / none", "—", "—"),),
    )
    return Section("Sự không phù hợp đang mở", "Open nonconformities", (table,))


def _chain_section(session: Session) -> Section:
    check = session.scalar(select(ChainCheck).order_by(ChainCheck.checked_at.desc()).limit(1))
    if check is None:
        text = "Chưa có lần kiểm tra nào được ghi nhận. / No verification of the audit chain was recorded."
    elif check.ok:
        text = (
            f"Lần kiểm tra gần nhất {check.checked_at:%d/%m/%Y %H:%M} UTC: chuỗi nguyên vẹn, {check.events_checked} "
            f"sự kiện, mã băm cuối {check.head_hash}. / Last verification: the chain is intact."
        )
    else:
        text = f"Lần kiểm tra gần nhất phát hiện can thiệp: {check.problem} / The last verification found tampering."
    return Section("Tính toàn vẹn dữ liệu (17025 7.11)", "Data integrity (17025 7.11)", (text,))


# The evidence pack ----------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class EvidencePack:
    data: bytes
    manifest: dict
    file_name: str


def standards_csv(session: Session, today: date) -> bytes:
    """The standards register with each standard's due status on a day."""
    rows = []
    for s in session.scalars(select(Standard).order_by(Standard.code)):
        if s.status != "in_service":
            due_status = s.status
        elif s.due_on is None or s.due_on < today:
            due_status = "overdue"
        else:
            due_status = "valid"
        rows.append([s.code, s.name, s.level, s.kind, s.status, s.due_on.isoformat() if s.due_on else "", due_status])
    return csv_bytes(["code", "name", "level", "kind", "status", "due_on", "due_status"], rows)


def certificates_csv(session: Session, organisation: Organisation, start: date, end: date) -> bytes:
    """Certificates issued in the period (to the organisation, when it is not the lab itself)."""
    query = select(Certificate).where(Certificate.issued_on >= start, Certificate.issued_on <= end)
    if organisation.kind != "lab":
        query = query.where(Certificate.organisation_id == organisation.id)
    rows = [
        [c.number, c.revision, c.status, c.issued_on.isoformat(), c.organisation_id, c.pdf_sha256]
        for c in session.scalars(query.order_by(Certificate.issued_on, Certificate.id))
    ]
    return csv_bytes(["number", "revision", "status", "issued_on", "organisation_id", "pdf_sha256"], rows)


def nonconformities_csv(session: Session, organisation: Organisation, start: date, end: date) -> bytes:
    """Nonconformities and complaints raised in the period (those concerning the organisation, if not the lab)."""
    query = select(Nonconformity).where(Nonconformity.raised_on >= start, Nonconformity.raised_on <= end)
    if organisation.kind != "lab":
        query = query.where(Nonconformity.organisation_id == organisation.id)
    rows = [
        [
            n.number,
            n.kind,
            n.source,
            n.clause or "",
            n.title,
            n.raised_on.isoformat(),
            n.status,
            n.due_on.isoformat() if n.due_on else "",
            n.closed_on.isoformat() if n.closed_on else "",
        ]
        for n in session.scalars(query.order_by(Nonconformity.number))
    ]
    return csv_bytes(
        ["number", "kind", "source", "clause", "title", "raised_on", "status", "due_on", "closed_on"], rows
    )


def build_evidence_pack(
    session: Session, organisation: Organisation, start: date, end: date, today: date, prepared_by: str
) -> EvidencePack:
    """Build the inspector's ZIP: self-assessment, audit-chain verification, registers, and a SHA-256 manifest."""
    verification = verify_chain(session).as_dict()
    last = session.scalar(select(ChainCheck).order_by(ChainCheck.checked_at.desc()).limit(1))
    chain = {
        "verified_now": verification,
        "last_recorded_check": None
        if last is None
        else {
            "checked_at": last.checked_at.isoformat(),
            "ok": last.ok,
            "events_checked": last.events_checked,
            "head_seq": last.head_seq,
            "head_hash": last.head_hash,
            "problem": last.problem,
            "checked_by": last.checked_by,
        },
    }
    files = {
        "self-assessment.pdf": self_assessment_pdf(session, today),
        "audit-chain-verification.json": json.dumps(chain, ensure_ascii=False, indent=2).encode("utf-8"),
        "standards.csv": standards_csv(session, today),
        "certificates.csv": certificates_csv(session, organisation, start, end),
        "nonconformities.csv": nonconformities_csv(session, organisation, start, end),
    }
    manifest = {
        "organisation": {"id": organisation.id, "name": organisation.name, "kind": organisation.kind},
        "period": {"from": start.isoformat(), "to": end.isoformat()},
        "prepared_on": today.isoformat(),
        "prepared_by": prepared_by,
        "lab": current_app.config["LAB_NAME"],
        "files": [
            {"name": name, "sha256": hashlib.sha256(data).hexdigest(), "bytes": len(data)}
            for name, data in files.items()
        ],
    }
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for name, data in files.items():
            archive.writestr(zipfile.ZipInfo(name, date_time=(today.year, today.month, today.day, 0, 0, 0)), data)
        archive.writestr(
            zipfile.ZipInfo("manifest.json", date_time=(today.year, today.month, today.day, 0, 0, 0)),
            json.dumps(manifest, ensure_ascii=False, indent=2).encode("utf-8"),
        )
    file_name = f"ho-so-thanh-tra-{organisation.id}-{start:%Y%m%d}-{end:%Y%m%d}.zip"
    return EvidencePack(buffer.getvalue(), manifest, file_name)
