"""Helpers shared by the certificate tests."""

import io

import pypdf


def page_texts(pdf: bytes) -> list[str]:
    """Return each page's extracted text with runs of whitespace collapsed, so wrapped phrases still match."""
    reader = pypdf.PdfReader(io.BytesIO(pdf))
    return [" ".join(page.extract_text().split()) for page in reader.pages]


def all_text(pdf: bytes) -> str:
    """Return the text of every page joined by a space."""
    return " ".join(page_texts(pdf))
