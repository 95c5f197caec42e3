"""Organisations: the lab itself, the enterprises it serves, and the agencies that inspect it."""

from datetime import datetime
from typing import Optional

from sqlalchemy import String
from sqlalchemy.orm import Mapped, mapped_column

from lims.core.model import utcnow
from lims.extensions import db


class Organisation(db.Model):
    """An organisation known to the lab: the lab itself, an enterprise (customer) or a state agency."""

    __tablename__ = "organisation"

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(20), default="enterprise")  # lab | enterprise | agency
    name: Mapped[str] = mapped_column(String(300))
    tax_code: Mapped[Optional[str]] = mapped_column(String(20), unique=True)
    address: Mapped[Optional[str]] = mapped_column(String(500))
    province: Mapped[Optional[str]] = mapped_column(String(100))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
