"""The one blueprint of the quality pages; each page module registers its routes on it."""

from flask import Blueprint

blueprint = Blueprint("quality", __name__, url_prefix="/quality")
