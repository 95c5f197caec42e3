"""Demo organisations and one account per role."""

from sqlalchemy import select
from sqlalchemy.orm import Session

from lims.auth import services
from lims.auth.models import User
from lims.auth.permissions import SYSTEM
from lims.customers.models import Organisation
from lims.demo import DEMO_PASSWORD

DEMO_ORGANISATIONS = [
    # kind, name, tax code, address
    ("lab", "Trung tâm Kỹ thuật Tiêu chuẩn Đo lường Chất lượng Vĩnh Long", None, "Phường Trà Vinh, tỉnh Vĩnh Long"),
    ("agency", "Sở Khoa học và Công nghệ tỉnh Vĩnh Long", None, "Phường 1, tỉnh Vĩnh Long"),
    ("enterprise", "Công ty TNHH Thủy sản Cửu Long", "2100123457", "Khu công nghiệp Long Đức, tỉnh Vĩnh Long"),
]

DEMO_ACCOUNTS = [
    # username, full name, roles, organisation name (None: the lab), what the login shows
    ("admin", "Nguyễn Văn Quản", ["admin"], None, "quản trị hệ thống / admin"),
    ("truongphong", "Trần Thị Mai", ["manager", "signatory"], None, "trưởng phòng, người ký / lab manager, signatory"),
    ("ktv.an", "Lê Văn An", ["technician"], None, "kỹ thuật viên, kiểm định viên / technician"),
    ("ktv.binh", "Phạm Thị Bình", ["technician", "signatory"], None, "kỹ thuật viên kiêm ký / technician who signs"),
    ("dn.cuulong", "Võ Minh Tâm", ["enterprise"], "Công ty TNHH Thủy sản Cửu Long", "doanh nghiệp / enterprise user"),
    ("thanhtra", "Đặng Quốc Huy", ["inspector"], None, "thanh tra (chỉ đọc) / inspector, read-only"),
]


def load(session: Session) -> list[tuple[str, str]]:
    organisations = {}
    for kind, name, tax_code, address in DEMO_ORGANISATIONS:
        organisation = session.scalar(select(Organisation).where(Organisation.name == name))
        if organisation is None:
            organisation = Organisation(kind=kind, name=name, tax_code=tax_code, address=address, province="Vĩnh Long")
            session.add(organisation)
            session.flush()
        organisations[name] = organisation
    for username, full_name, roles, organisation_name, _what in DEMO_ACCOUNTS:
        if session.scalar(select(User.id).where(User.username == username)) is None:
            organisation = (
                organisations.get(organisation_name) if organisation_name else organisations[DEMO_ORGANISATIONS[0][1]]
            )
            services.create_user(
                session,
                SYSTEM,
                username=username,
                full_name=full_name,
                password=DEMO_PASSWORD,
                roles=roles,
                organisation_id=organisation.id,
                policy=False,  # the documented demo password, set by the loader (refused in production)
            )
    return [(username, what) for username, _n, _r, _o, what in DEMO_ACCOUNTS]
