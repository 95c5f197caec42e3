"""The main menu: each domain registers its entries with the roles that see them."""

from dataclasses import dataclass

from flask import url_for
from flask_babel import lazy_gettext as _l
from flask_login import current_user

from lims.auth.permissions import roles_holding


@dataclass(frozen=True)
class NavItem:
    endpoint: str
    label: object  # a lazy translated string
    roles: frozenset[str]
    order: int

    @property
    def prefix(self) -> str:
        return self.endpoint.split(".")[0] + "."

    @property
    def url(self) -> str:
        return url_for(self.endpoint)


_items: dict[str, NavItem] = {}


def register_nav(endpoint: str, label, roles, order: int = 50) -> None:
    """Add a menu entry (idempotent: the app factory may run more than once in tests)."""
    _items[endpoint] = NavItem(endpoint, label, roles_holding(*roles), order)


@dataclass(frozen=True)
class NavGroup:
    """A top-level menu entry: one link, or a drop-down of a domain's links."""

    label: object
    items: tuple[NavItem, ...]

    @property
    def key(self) -> str:
        return self.items[0].prefix.rstrip(".")

    def contains(self, endpoint: str | None) -> bool:
        """Whether the page being shown belongs to this entry (to highlight it)."""
        return bool(endpoint) and any(endpoint.startswith(item.prefix) for item in self.items)


# Blueprints whose entries share one drop-down, and its label; others stand alone. Central so the bar stays short.
_GROUP_OF_BLUEPRINT = {
    "customers": ("customers", _l("Khách hàng")),
    "jobs": ("jobs", _l("Công việc")),
    "issuing": ("issuing", _l("Chứng nhận")),
    "quality": ("quality", _l("Chất lượng")),
    "plan": ("quality", _l("Chất lượng")),
    "audit": ("system", _l("Hệ thống")),
    "auth": ("system", _l("Hệ thống")),
}


def navigation() -> list[NavGroup]:
    """Return the menu the signed-in person may use, grouped by domain, in menu order."""
    if not current_user.is_authenticated:
        return []
    roles = current_user.roles
    visible = sorted((item for item in _items.values() if item.roles & roles), key=lambda i: (i.order, i.endpoint))
    grouped: dict[str, list[NavItem]] = {}
    labels: dict[str, object] = {}
    for item in visible:
        blueprint = item.endpoint.split(".")[0]
        key, label = _GROUP_OF_BLUEPRINT.get(blueprint, (item.endpoint, item.label))
        grouped.setdefault(key, []).append(item)
        labels.setdefault(key, label)
    return [NavGroup(labels[key] if len(items) > 1 else items[0].label, tuple(items)) for key, items in grouped.items()]


@dataclass(frozen=True)
class HomePanel:
    """A box on the home page: a template and the function that loads what it shows."""

    key: str
    template: str
    roles: frozenset[str]
    load: object  # callable(user) -> dict for the template
    order: int


_panels: dict[str, HomePanel] = {}


def register_home_panel(key: str, template: str, roles, load, order: int = 50) -> None:
    """Add a box to the home page of the given roles."""
    _panels[key] = HomePanel(key, template, roles_holding(*roles), load, order)


def home_panels(user) -> list[tuple[HomePanel, dict]]:
    """Return the boxes this person sees, each with its loaded context."""
    panels = sorted((p for p in _panels.values() if p.roles & user.roles), key=lambda p: (p.order, p.key))
    return [(panel, panel.load(user)) for panel in panels]
