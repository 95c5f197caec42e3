"""Links that leave the screen: the addresses printed in QR codes on certificates, stickers and labels."""

from flask import current_app, has_request_context, request

FALLBACK_PUBLIC_URL = "http://127.0.0.1:5000"


def public_url() -> str:
    """Return the base of links printed on paper (QR codes): LIMS_PUBLIC_URL, else the address being served.

    Following the request's host is for development (``lims run --port 5001`` prints working QR codes); in
    production a Host header must not decide what certificates print, so there the setting, or the local default.
    """
    configured = current_app.config.get("PUBLIC_URL")
    if configured:
        return configured.rstrip("/")
    if current_app.config.get("ENV") != "production" and has_request_context():
        return request.host_url.rstrip("/")
    return FALLBACK_PUBLIC_URL
