"""Demo sticker stock: one delivered range, so a signatory can issue a passed verification at once."""

from datetime import date

from sqlalchemy import select
from sqlalchemy.orm import Session

from lims.auth.models import User
from lims.issuing.models import StickerBatch
from lims.issuing.stickers import receive_stickers


def load(session: Session) -> list[tuple[str, str]]:
    if session.scalar(select(StickerBatch.id).limit(1)) is not None:
        return []
    manager = session.scalar(select(User).where(User.username == "truongphong"))
    if manager is None:
        return []
    receive_stickers(
        session, manager, prefix="VL ", first=12001, last=12100, received_on=date(2026, 1, 5), supplier="Demo"
    )
    return []
