"""Readiness: for each requirement, the evidence the lab can show, found in documents and in the records it keeps.

A requirement is *present* when it has current evidence and none is stale, *stale* when any evidence is past its
review date or rests on an overdue record (an overdue standard, an old audit), *missing* when nothing evidences it.
Records of the other domains (authorisations, standards, checks, certificates) are read directly.
"""

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, timedelta

from flask_babel import gettext as _
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from lims.core.words import in_language
from lims.customers.models import LabSetting
from lims.issuing.models import Certificate
from lims.jobs.models import Authorisation, VerifierCard
from lims.quality.models import (
    ChainCheck,
    CompetenceRecord,
    ControlledDocument,
    InternalAudit,
    ManagementReview,
    Nonconformity,
    ProficiencyResult,
    ProficiencyRound,
    Requirement,
    RequirementCatalogue,
    Risk,
)
from lims.standards.models import IntermediateCheck, Standard

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class FreshnessSetting:
    """How old one kind of record may be and still count as current evidence: a lab setting, in whole days."""

    name: str  # the attribute of FreshnessLimits and the form field
    key: str  # the LabSetting key
    label_vi: str
    label_en: str
    default: int
    maximum: int  # beyond this the value is a typing error, not a policy


# The defaults are the intervals the lab used before they became settings; a manager changes them on the settings
# page. The maxima refuse the absurd (a chain check "current" for years) while leaving room for any real policy.
FRESHNESS_SETTINGS = (
    FreshnessSetting(
        "chain_check_days", "quality.chain_check_max_days", "Kiểm tra chuỗi nhật ký", "audit chain check", 31, 366
    ),
    FreshnessSetting(
        "intermediate_check_days",
        "quality.intermediate_check_max_days",
        "Kiểm tra giữa kỳ",
        "intermediate check",
        366,
        5 * 366,
    ),
    # At least one PT per field in an accreditation cycle.
    FreshnessSetting(
        "proficiency_days",
        "quality.proficiency_max_days",
        "Thử nghiệm thành thạo",
        "proficiency test",
        4 * 366,
        5 * 366,
    ),
    FreshnessSetting("audit_days", "quality.audit_max_days", "Đánh giá nội bộ", "internal audit", 366, 3 * 366),
    FreshnessSetting(
        "review_days", "quality.review_max_days", "Xem xét của lãnh đạo", "management review", 366, 3 * 366
    ),
)


@dataclass(frozen=True)
class FreshnessLimits:
    """The lab's freshness limits in days, as the readiness computation uses them."""

    chain_check_days: int
    intermediate_check_days: int
    proficiency_days: int
    audit_days: int
    review_days: int

    def max_age(self, name: str) -> timedelta:
        return timedelta(days=getattr(self, name))


DEFAULT_LIMITS = FreshnessLimits(**{setting.name: setting.default for setting in FRESHNESS_SETTINGS})


def freshness_limits(session: Session) -> FreshnessLimits:
    """Return the freshness limits stored by a manager, each falling back to its default when not set."""
    stored = {
        row.key: row.value
        for row in session.scalars(select(LabSetting).where(LabSetting.key.in_([s.key for s in FRESHNESS_SETTINGS])))
    }
    values = {}
    for setting in FRESHNESS_SETTINGS:
        text = stored.get(setting.key)
        if text is None:
            values[setting.name] = setting.default
        elif text.isascii() and text.isdigit() and 1 <= int(text) <= setting.maximum:
            values[setting.name] = int(text)
        else:
            # Only a hand edit of the database gets here: the settings page refuses such values.
            log.warning("lab setting %s=%r is not a valid number of days; using %s", setting.key, text, setting.default)
            values[setting.name] = setting.default
    return FreshnessLimits(**values)


@dataclass(frozen=True)
class EvidenceItem:
    """One piece of evidence for a requirement, with its state."""

    source: str  # document | personnel | standards | traceability | validity | certificates | integrity | ...
    label: str
    status: str  # present | stale | missing
    detail: str = ""
    endpoint: str | None = None  # where to read it
    endpoint_args: tuple[tuple[str, object], ...] = ()


@dataclass(frozen=True)
class RequirementReadiness:
    requirement: Requirement
    status: str
    items: tuple[EvidenceItem, ...]
    heading: bool = False  # a section heading: its children carry the evidence


@dataclass
class CatalogueReadiness:
    catalogue: RequirementCatalogue
    rows: list[RequirementReadiness]
    counts: dict[str, int] = field(default_factory=dict)

    @property
    def assessed(self) -> int:
        return sum(self.counts.values())

    @property
    def percent(self) -> float:
        """Return the share of requirements with present evidence, in percent."""
        return round(100.0 * self.counts.get("present", 0) / self.assessed, 1) if self.assessed else 0.0


def combine(items: list[EvidenceItem] | tuple[EvidenceItem, ...]) -> str:
    """Return a requirement's state from its evidence: any stale -> stale, else any present -> present."""
    statuses = {item.status for item in items}
    if "stale" in statuses:
        return "stale"
    if "present" in statuses:
        return "present"
    return "missing"


def _count(session: Session, query) -> int:
    return session.scalar(query) or 0


def _d(day: date | None) -> str:
    return day.strftime("%d/%m/%Y") if day else "—"


class EvidenceFinder:
    """Finds the automatic evidence of each 17025 clause once per readiness computation."""

    def __init__(self, session: Session, today: date, limits: FreshnessLimits | None = None):
        self.session = session
        self.today = today
        self.limits = limits or freshness_limits(session)
        self._cache: dict[str, list[EvidenceItem]] = {}
        self.providers: dict[str, Callable[[], list[EvidenceItem]]] = {
            "6.2": self.personnel,
            "6.4": self.equipment,
            "6.5": self.traceability,
            "7.7": self.validity,
            "7.8": self.reporting,
            "7.9": self.complaints,
            "7.10": self.nonconforming_work,
            "7.11": self.integrity,
            "8.3": self.documents,
            "8.5": self.risks,
            "8.7": self.corrective_actions,
            "8.8": self.internal_audits,
            "8.9": self.management_reviews,
        }

    def for_clause(self, clause: str | None) -> list[EvidenceItem]:
        """Return the automatic evidence of a clause (a sub-clause such as 7.7.2 uses its clause's records)."""
        if not clause:
            return []
        parts = clause.split(".")
        for length in range(len(parts), 1, -1):
            key = ".".join(parts[:length])
            if key in self.providers:
                if key not in self._cache:
                    self._cache[key] = self.providers[key]()
                return self._cache[key]
        return []

    # 6.2 -----------------------------------------------------------------------------------------------------
    def personnel(self) -> list[EvidenceItem]:
        items = []
        records = _count(self.session, select(func.count(CompetenceRecord.id)))
        items.append(
            EvidenceItem(
                "personnel",
                _("Hồ sơ năng lực nhân sự: %(records)s mục", records=records),
                "present" if records else "missing",
                endpoint="quality.competence",
            )
        )
        rows = self.session.scalars(select(Authorisation).where(Authorisation.revoked.is_(False))).all()
        valid = [
            a for a in rows if a.valid_from <= self.today and (a.valid_until is None or a.valid_until >= self.today)
        ]
        expired = [a for a in rows if a.valid_until is not None and a.valid_until < self.today]
        status = "present" if valid else ("stale" if expired else "missing")
        items.append(
            EvidenceItem(
                "personnel",
                _(
                    "Phân công được phép còn hiệu lực: %(count)s, hết hạn: %(count2)s",
                    count=len(valid),
                    count2=len(expired),
                ),
                status,
            )
        )
        cards = self.session.scalars(select(VerifierCard)).all()
        valid_cards = [c for c in cards if c.valid_until is None or c.valid_until >= self.today]
        if cards:
            items.append(
                EvidenceItem(
                    "personnel",
                    _(
                        "Thẻ kiểm định viên còn hiệu lực: %(count)s/%(count2)s",
                        count=len(valid_cards),
                        count2=len(cards),
                    ),
                    "present" if valid_cards else "stale",
                )
            )
        return items

    # 6.4 / 6.5 ------------------------------------------------------------------------------------------------
    def _standards_in_service(self) -> list[Standard]:
        return self.session.scalars(select(Standard).where(Standard.status == "in_service")).all()

    def equipment(self) -> list[EvidenceItem]:
        standards = self._standards_in_service()
        overdue = [s for s in standards if s.due_on is None or s.due_on < self.today]
        status = "missing" if not standards else ("stale" if overdue else "present")
        detail = ", ".join(f"{s.code} ({_d(s.due_on)})" for s in overdue[:10])
        return [
            EvidenceItem(
                "standards",
                _(
                    "Chuẩn và thiết bị đang sử dụng: %(count)s, quá hạn hiệu chuẩn: %(count2)s",
                    count=len(standards),
                    count2=len(overdue),
                ),
                status,
                detail,
            )
        ]

    def traceability(self) -> list[EvidenceItem]:
        standards = self._standards_in_service()
        untraced = [s for s in standards if not s.calibrations]
        overdue = [s for s in standards if s.calibrations and (s.due_on is None or s.due_on < self.today)]
        if not standards:
            status = "missing"
        elif overdue or untraced:
            status = "stale"
        else:
            status = "present"
        detail = ", ".join([_("%(code)s: chưa có chứng chỉ", code=s.code) for s in untraced[:5]])
        detail += ", ".join([_("%(code)s: quá hạn: %(d)s", code=s.code, d=_d(s.due_on)) for s in overdue[:5]])
        return [
            EvidenceItem(
                "traceability",
                _(
                    "Chuẩn có chứng chỉ hiệu chuẩn còn hạn: %(value)s/%(count)s",
                    value=len(standards) - len(untraced) - len(overdue),
                    count=len(standards),
                ),
                status,
                detail,
            )
        ]

    # 7.7 ------------------------------------------------------------------------------------------------------
    def validity(self) -> list[EvidenceItem]:
        items = []
        latest_round = self.session.scalar(select(func.max(ProficiencyRound.held_on)))
        results = _count(self.session, select(func.count(ProficiencyResult.id)))
        unsatisfactory = _count(
            self.session, select(func.count(ProficiencyResult.id)).where(ProficiencyResult.satisfactory.is_(False))
        )
        if latest_round is None:
            status = "missing"
        else:
            status = "present" if self.today - latest_round <= self.limits.max_age("proficiency_days") else "stale"
        items.append(
            EvidenceItem(
                "validity",
                _(
                    "Thử nghiệm thành thạo/so sánh liên phòng: %(results)s kết quả, %(unsatisfactory)s không "
                    "đạt, gần nhất %(d)s",
                    results=results,
                    unsatisfactory=unsatisfactory,
                    d=_d(latest_round),
                ),
                status,
                endpoint="quality.proficiency",
            )
        )
        count = _count(self.session, select(func.count(IntermediateCheck.id)))
        latest = self.session.scalar(select(func.max(IntermediateCheck.checked_on)))
        if not count:
            status = "missing"
        elif latest is not None and self.today - latest > self.limits.max_age("intermediate_check_days"):
            status = "stale"
        else:
            status = "present"
        items.append(
            EvidenceItem(
                "validity",
                _("Kiểm tra giữa kỳ: %(count)s, gần nhất %(d)s", count=count, d=_d(latest)),
                status,
            )
        )
        return items

    # 7.8 ------------------------------------------------------------------------------------------------------
    def reporting(self) -> list[EvidenceItem]:
        count = _count(self.session, select(func.count(Certificate.id)))
        return [
            EvidenceItem(
                "certificates",
                _("Giấy chứng nhận đã cấp: %(count)s", count=count),
                "present" if count else "missing",
            )
        ]

    # 7.9, 7.10, 8.7 -------------------------------------------------------------------------------------------
    def _nonconformities(self, kinds: tuple[str, ...], label_vi: str, label_en: str) -> list[EvidenceItem]:
        rows = self.session.scalars(select(Nonconformity).where(Nonconformity.kind.in_(kinds))).all()
        overdue = [n for n in rows if n.status != "closed" and n.due_on is not None and n.due_on < self.today]
        closed = sum(1 for n in rows if n.status == "closed")
        status = "missing" if not rows else "stale" if overdue else "present"
        return [
            EvidenceItem(
                "nonconformities",
                _(
                    "%(label_vi)s: %(count)s, đã đóng %(closed)s, quá hạn %(count2)s",
                    label_vi=in_language(label_vi, label_en),
                    count=len(rows),
                    closed=closed,
                    count2=len(overdue),
                ),
                status,
                ", ".join(n.number for n in overdue[:10]),
                endpoint="quality.nonconformities",
            )
        ]

    def complaints(self) -> list[EvidenceItem]:
        return self._nonconformities(("complaint",), "Khiếu nại được ghi nhận", "complaints recorded")

    def nonconforming_work(self) -> list[EvidenceItem]:
        return self._nonconformities(("nonconformity",), "Sự không phù hợp được ghi nhận", "nonconformities recorded")

    def corrective_actions(self) -> list[EvidenceItem]:
        return self._nonconformities(("nonconformity", "complaint"), "Hồ sơ khắc phục", "corrective action records")

    # 7.11 -----------------------------------------------------------------------------------------------------
    def integrity(self) -> list[EvidenceItem]:
        check = self.session.scalar(select(ChainCheck).order_by(ChainCheck.checked_at.desc()).limit(1))
        if check is None:
            return [
                EvidenceItem(
                    "integrity",
                    _("Chưa kiểm tra tính toàn vẹn nhật ký"),
                    "missing",
                    endpoint="quality.chain_checks",
                )
            ]
        age = self.today - check.checked_at.date()
        if not check.ok:
            status, label = "stale", _("Lần kiểm tra gần nhất phát hiện can thiệp")
        else:
            status = "present" if age <= self.limits.max_age("chain_check_days") else "stale"
            label = _(
                "Nhật ký nguyên vẹn (%(events_checked)s sự kiện) lúc %(d)s",
                events_checked=check.events_checked,
                d=_d(check.checked_at.date()),
            )
        return [EvidenceItem("integrity", label, status, check.problem or "", endpoint="quality.chain_checks")]

    # 8.3, 8.5, 8.8, 8.9 ----------------------------------------------------------------------------------------
    def documents(self) -> list[EvidenceItem]:
        query = select(ControlledDocument).where(ControlledDocument.withdrawn.is_(False))
        documents = self.session.scalars(query).all()
        current = [d.current for d in documents if d.current is not None]
        overdue = [v for v in current if v.review_due_on < self.today]
        status = "missing" if not current else ("stale" if overdue else "present")
        return [
            EvidenceItem(
                "documents",
                _(
                    "Tài liệu được kiểm soát: %(count)s, quá hạn xem xét: %(count2)s",
                    count=len(current),
                    count2=len(overdue),
                ),
                status,
                ", ".join(v.document.code for v in overdue[:10]),
                endpoint="quality.documents",
            )
        ]

    def risks(self) -> list[EvidenceItem]:
        risks = self.session.scalars(select(Risk).where(Risk.closed.is_(False))).all()
        overdue = [r for r in risks if r.review_on is not None and r.review_on < self.today]
        # A register whose risks were all treated and closed lately is kept, not missing (8.5.3: evaluated actions).
        since = self.today - self.limits.max_age("review_days")
        closed_lately = _count(
            self.session, select(func.count(Risk.id)).where(Risk.closed.is_(True), Risk.closed_on >= since)
        )
        kept = "stale" if overdue else "present"
        status = kept if risks else ("present" if closed_lately else "missing")
        return [
            EvidenceItem(
                "risks",
                _(
                    "Rủi ro và cơ hội đang theo dõi: %(count)s, quá hạn xem xét: %(count2)s, đã đóng gần đây: "
                    "%(closed_lately)s",
                    count=len(risks),
                    count2=len(overdue),
                    closed_lately=closed_lately,
                ),
                status,
                endpoint="quality.risks",
            )
        ]

    def internal_audits(self) -> list[EvidenceItem]:
        latest = self.session.scalar(select(func.max(InternalAudit.held_on)))
        late = _count(
            self.session,
            select(func.count(InternalAudit.id)).where(
                InternalAudit.held_on.is_(None), InternalAudit.planned_on < self.today
            ),
        )
        if latest is None:
            status = "stale" if late else "missing"
        else:
            status = "stale" if late or self.today - latest > self.limits.max_age("audit_days") else "present"
        return [
            EvidenceItem(
                "audits",
                _("Đánh giá nội bộ gần nhất: %(d)s, kế hoạch trễ: %(late)s", d=_d(latest), late=late),
                status,
                endpoint="quality.audits",
            )
        ]

    def management_reviews(self) -> list[EvidenceItem]:
        latest = self.session.scalar(select(ManagementReview).order_by(ManagementReview.held_on.desc()).limit(1))
        if latest is None:
            status = "missing"
        else:
            due = latest.next_review_on or latest.held_on + self.limits.max_age("review_days")
            status = "present" if due >= self.today else "stale"
        return [
            EvidenceItem(
                "reviews",
                _("Xem xét của lãnh đạo gần nhất: %(d)s", d=_d(latest.held_on if latest else None)),
                status,
                endpoint="quality.reviews",
            )
        ]


def document_evidence(requirement: Requirement, today: date) -> list[EvidenceItem]:
    """Return the controlled documents linked to a requirement, each judged by its approval and review date."""
    items = []
    for link in requirement.links:
        document = link.document
        version = document.current
        label = f"{document.code} {document.title}"
        args = (("document_id", document.id),)
        if document.withdrawn:
            items.append(
                EvidenceItem(
                    "document",
                    label,
                    "missing",
                    _("đã thu hồi %(d)s", d=_d(document.withdrawn_on)),
                    "quality.document",
                    args,
                )
            )
        elif version is None:
            items.append(EvidenceItem("document", label, "missing", _("chưa ban hành"), "quality.document", args))
        elif version.review_due_on < today:
            items.append(
                EvidenceItem(
                    "document",
                    f"{label} (v{version.number})",
                    "stale",
                    _("quá hạn xem xét %(d)s", d=_d(version.review_due_on)),
                    "quality.document",
                    args,
                )
            )
        else:
            items.append(
                EvidenceItem(
                    "document",
                    f"{label} (v{version.number})",
                    "present",
                    _("xem xét trước %(d)s", d=_d(version.review_due_on)),
                    "quality.document",
                    args,
                )
            )
    return items


def catalogue_readiness(
    session: Session, catalogue: RequirementCatalogue, today: date, limits: FreshnessLimits | None = None
) -> CatalogueReadiness:
    """Compute every requirement's readiness and the catalogue's overall figure (section headings excluded).

    :param limits: the freshness limits to judge by; the lab's settings when not given.
    """
    finder = EvidenceFinder(session, today, limits)
    requirements = catalogue.requirements
    parents = {r.parent_id for r in requirements if r.parent_id is not None}
    rows = []
    counts = {state: 0 for state in ("present", "stale", "missing")}
    for requirement in requirements:
        # A top-level section with clauses under it is a heading; its clauses carry the evidence.
        heading = requirement.parent_id is None and requirement.id in parents
        items = document_evidence(requirement, today) + finder.for_clause(requirement.related_clause)
        status = combine(items)
        if not heading:
            counts[status] += 1
        rows.append(RequirementReadiness(requirement, status, tuple(items), heading))
    # A heading shows the worst state found under it, so a section with one stale clause reads stale.
    by_id = {row.requirement.id: row for row in rows}
    order = {"present": 0, "stale": 1, "missing": 2}
    worst: dict[int, str] = {}
    for row in rows:
        if row.heading:
            continue
        ancestor = row.requirement.parent_id
        while ancestor is not None and ancestor in by_id:
            if by_id[ancestor].heading:
                current = worst.get(ancestor, "present")
                worst[ancestor] = max(current, row.status, key=order.__getitem__)
            ancestor = by_id[ancestor].requirement.parent_id
    final = [
        RequirementReadiness(row.requirement, worst.get(row.requirement.id, row.status), row.items, True)
        if row.heading
        else row
        for row in rows
    ]
    return CatalogueReadiness(catalogue, final, counts)
