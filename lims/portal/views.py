"""The enterprise's home box: its instruments due or overdue, its latest certificates, its requests."""

from lims.core.dates import lab_today
from lims.core.navigation import register_home_panel
from lims.customers import queries as customer_queries
from lims.extensions import db
from lims.issuing import queries as issuing_queries
from lims.jobs import queries as job_queries
from lims.jobs.forms import REQUEST_STATUS_NAMES

PANEL_ROWS = 5
DUE_WITHIN_DAYS = 30


def _portal_panel(user) -> dict:
    """Load what an enterprise user sees first; every query is limited to the user's own organisation."""
    today = lab_today()
    return {
        "today": today,
        "due": db.session.scalars(customer_queries.recall_query(user, today, DUE_WITHIN_DAYS).limit(PANEL_ROWS)).all(),
        "certificates": db.session.scalars(issuing_queries.visible_certificates(user).limit(PANEL_ROWS)).all(),
        "requests": db.session.scalars(job_queries.requests_query(user).limit(PANEL_ROWS)).all(),
        "request_status_names": REQUEST_STATUS_NAMES,
    }


register_home_panel("portal", "portal/_panel.html", ("enterprise",), _portal_panel, order=10)
