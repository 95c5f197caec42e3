"""The quality system in the navigation, and its panel on the home page."""

from flask_babel import lazy_gettext as _l

from lims.auth.permissions import Capability
from lims.core.dates import lab_today
from lims.core.navigation import register_home_panel, register_nav
from lims.extensions import db
from lims.quality import queries
from lims.quality.evidence import catalogue_readiness


def _panel(user) -> dict:
    catalogue = db.session.scalar(queries.catalogues_query().limit(1))
    result = catalogue_readiness(db.session, catalogue, lab_today()) if catalogue else None
    open_count = len(db.session.scalars(queries.nonconformities_query(user, "open")).all())
    last_check = db.session.scalar(queries.chain_checks_query().limit(1))
    return {"result": result, "open_count": open_count, "last_check": last_check}


register_nav("quality.readiness", _l("Chất lượng"), (Capability.READ_QUALITY,), order=70)
register_home_panel("quality", "quality/_panel.html", (Capability.READ_QUALITY,), _panel, order=70)
