"""The lab's stock of verification stickers as controlled items: every serial accounted for; never a commit."""

from collections import Counter
from datetime import date

from flask_babel import gettext as _
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from certificates.document import Sticker as StickerLabel
from certificates.stickers import render_sticker_sheet
from lims.audit.trail import audit_reason
from lims.auth.models import User
from lims.auth.permissions import Capability, may, require
from lims.core.errors import NotFound, PermissionDenied, RuleViolation
from lims.core.locking import locked_one
from lims.core.model import nfc, utcnow
from lims.issuing.models import STICKER_STATES, Certificate, Sticker, StickerBatch

MAX_RANGE = 20_000  # one delivery; a typo of an extra digit should not create a million rows


def serial_text(prefix: str, number: int, digits: int) -> str:
    return f"{prefix}{number:0{digits}d}"


def receive_stickers(
    session: Session,
    actor,
    *,
    prefix: str,
    first: int,
    last: int,
    digits: int = 7,
    received_on: date,
    supplier: str | None = None,
) -> StickerBatch:
    """Record a delivered range of stickers (first..last) into stock, one row per serial."""
    require(actor, Capability.MANAGE_STICKERS)
    prefix = nfc(prefix or "").lstrip()  # a trailing space is part of the printed serial ("VL 0012345")
    if first < 0 or last < first:
        raise RuleViolation(_("Dải số tem không hợp lệ"), field="last")
    if last - first + 1 > MAX_RANGE:
        raise RuleViolation(_("Tối đa %(MAX_RANGE)s tem mỗi lần", MAX_RANGE=MAX_RANGE), field="last")
    if len(str(last)) > digits:
        raise RuleViolation(_("Số chữ số không đủ cho dải số"), field="digits")
    serials = [serial_text(prefix, n, digits) for n in range(first, last + 1)]
    clash = session.scalar(select(Sticker.serial).where(Sticker.serial.in_(serials)).limit(1))
    if clash:
        raise RuleViolation(_("Tem %(clash)s đã có trong sổ", clash=clash), field="first")
    batch = StickerBatch(
        prefix=prefix,
        first_number=first,
        last_number=last,
        digits=digits,
        received_on=received_on,
        supplier=supplier,
        received_by_id=actor.id,
    )
    session.add(batch)
    session.flush()
    session.add_all(Sticker(serial=serial, batch_id=batch.id) for serial in serials)
    session.flush()
    return batch


def get_sticker(session: Session, serial: str) -> Sticker:
    sticker = session.scalar(select(Sticker).where(Sticker.serial == nfc((serial or "").strip())))
    if sticker is None:
        raise NotFound(_("Không có tem số %(serial)s trong sổ", serial=serial))
    return sticker


def hand_out_stickers(session: Session, actor, serials: list[str], technician: User) -> list[Sticker]:
    """Issue stickers from stock to a technician, who then answers for each one."""
    require(actor, Capability.MANAGE_STICKERS)
    if not technician.is_lab_staff:
        raise RuleViolation(_("Chỉ giao tem cho nhân viên phòng"), field="holder")
    handed = []
    for serial in serials:
        sticker = get_sticker(session, serial)
        if sticker.state != "in_stock":
            raise RuleViolation(_("Tem %(serial)s đang '%(state)s'", serial=serial, state=sticker.state))
        sticker.state, sticker.holder_id, sticker.changed_at = "issued", technician.id, utcnow()
        handed.append(sticker)
    session.flush()
    return handed


def discard_sticker(session: Session, actor, serial: str, state: str, reason: str) -> Sticker:
    """Record a sticker as spoiled (damaged when applied) or voided (lost, withdrawn), with the reason."""
    require(actor, Capability.HANDLE_STICKERS)
    if state not in ("spoiled", "voided"):
        raise RuleViolation(_("Trạng thái không hợp lệ"), field="state")
    reason = nfc((reason or "").strip())
    if not reason:
        raise RuleViolation(_("Cần ghi lý do"), field="reason")
    sticker = get_sticker(session, serial)
    if sticker.state in ("used", "spoiled", "voided"):
        raise RuleViolation(_("Tem %(serial)s đã '%(state)s'", serial=serial, state=sticker.state))
    if state == "voided" and not may(actor, Capability.MANAGE_STICKERS):
        raise PermissionDenied(_("Chỉ trưởng phòng hủy tem"))
    if sticker.state == "issued" and sticker.holder_id != actor.id and not may(actor, Capability.MANAGE_STICKERS):
        raise PermissionDenied(_("Tem này đang giao cho người khác"))
    with audit_reason(reason):
        sticker.state, sticker.note, sticker.changed_at = state, reason, utcnow()
        session.flush()
    return sticker


def take_for_certificate(session: Session, actor, serial: str | None) -> Sticker:
    """Return the sticker named for a passed verification, refusing one that is not available."""
    require(actor, Capability.ISSUE_CERTIFICATES)
    if not serial or not serial.strip():
        raise RuleViolation(
            _("Kiểm định đạt phải ghi số tem đã dán"),
            field="sticker_serial",
        )
    # Locked before it is checked: two issuers naming the same sticker are served one after the other.
    sticker = locked_one(session, Sticker, Sticker.serial == nfc(serial.strip()))
    if sticker is None:
        raise RuleViolation(_("Không có tem số %(serial)s trong sổ.", serial=serial), field="sticker_serial")
    if sticker.state not in ("in_stock", "issued"):
        raise RuleViolation(
            _("Tem %(serial)s đang '%(state)s', không dùng được", serial=sticker.serial, state=sticker.state),
            field="sticker_serial",
        )
    return sticker


def mark_used(session: Session, actor, sticker: Sticker, certificate: Certificate) -> None:
    require(actor, Capability.ISSUE_CERTIFICATES)
    sticker.state, sticker.certificate_id, sticker.changed_at = "used", certificate.id, utcnow()
    session.flush()


def release(session: Session, actor, sticker: Sticker) -> None:
    """Give back a sticker whose certificate number was voided: to its holder, or to stock."""
    require(actor, Capability.MANAGE_NUMBERING)
    sticker.state = "issued" if sticker.holder_id else "in_stock"
    sticker.certificate_id, sticker.changed_at = None, utcnow()
    session.flush()


def sticker_report(session: Session, batch_id: int | None = None) -> dict:
    """Return every serial with its state, and the count per state (each serial in exactly one state)."""
    query = select(Sticker).order_by(Sticker.serial)
    if batch_id is not None:
        query = query.where(Sticker.batch_id == batch_id)
    rows = session.scalars(query).all()
    counts = Counter({state: 0 for state in STICKER_STATES})
    counts.update(sticker.state for sticker in rows)
    return {"stickers": rows, "counts": dict(counts), "total": len(rows)}


def batch_accounting(session: Session) -> list[dict]:
    """Return, per received range, how many serials are in each state; they must add up to the range."""
    out = []
    for batch in session.scalars(select(StickerBatch).order_by(StickerBatch.received_on, StickerBatch.id)):
        counts = dict(
            session.execute(
                select(Sticker.state, func.count(Sticker.id))
                .where(Sticker.batch_id == batch.id)
                .group_by(Sticker.state)
            ).all()
        )
        size = batch.last_number - batch.first_number + 1
        out.append({"batch": batch, "counts": counts, "size": size, "accounted": sum(counts.values()) == size})
    return out


def sticker_sheet(certificates: list[Certificate], public_url: str, lab_short_name: str) -> bytes:
    """Return a printable sheet of stickers for issued, passed verification certificates."""
    labels = [
        StickerLabel(
            lab_short_name=lab_short_name,
            serial=c.sticker_serial,
            certificate_number=c.display_number,
            valid_until=c.valid_until,
            verification_url=f"{public_url}/v/{c.token}",
        )
        for c in certificates
        if c.kind == "verification" and c.passed and c.sticker_serial and c.valid_until and c.status == "issued"
    ]
    if not labels:
        raise RuleViolation(_("Không có giấy chứng nhận kiểm định đạt nào để in tem"))
    return render_sticker_sheet(labels)
