"""The main menu: each domain registers its entries with the roles that see them."""

from dataclasses import dataclass

from flask import url_for
from flask_login import current_user


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
    _items[endpoint] = NavItem(endpoint, label, frozenset(roles), order)


def navigation() -> list[NavItem]:
    """Return the menu entries the signed-in person may use."""
    if not current_user.is_authenticated:
        return []
    roles = current_user.roles
    return sorted(
        (item for item in _items.values() if item.roles & roles), key=lambda item: (item.order, item.endpoint)
    )


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
    _panels[key] = HomePanel(key, template, frozenset(roles), load, order)


def home_panels(user) -> list[tuple[HomePanel, dict]]:
    """Return the boxes this person sees, each with its loaded context."""
    panels = sorted((p for p in _panels.values() if p.roles & user.roles), key=lambda p: (p.order, p.key))
    return [(panel, panel.load(user)) for panel in panels]
