"""Certificates: approval, numbering, signing, amendment, public verification, stickers."""
