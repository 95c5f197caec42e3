"""Certificate documents: a plain dataclass in, PDF bytes out. No web, no database.

- ``certificates.document``: the frozen dataclasses issuing fills (``Certificate``, ``Lab``, ``Instrument``, ...).
- ``certificates.render.render_certificate(doc) -> bytes``: the A4 bilingual certificate.
- ``certificates.signing``: ``CertificateSigner(...).sign(...)``, ``verify_signature``, ``create_self_signed_key``.
- ``certificates.stickers.render_sticker_sheet(stickers) -> bytes``: a sheet of verification stickers.
- ``certificates.report.render_report(title_vi, title_en, lab, sections) -> bytes``: other reports, same look.
"""
