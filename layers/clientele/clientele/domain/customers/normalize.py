"""Normalizations behind uniqueness, sorting and matching (never applied to stored values)."""

from __future__ import annotations

import unicodedata


def name_key(name: str) -> str:
    """Case-folded, punctuation removed, whitespace collapsed: "ACME,  Inc." -> "acme inc"."""
    without_punctuation = "".join(
        " " if char.isspace() else char for char in name.casefold() if not unicodedata.category(char).startswith("P")
    )
    return " ".join(without_punctuation.split())


def postal_key(postal_code: str) -> str:
    """Upper-cased without whitespace: "sw1a 1aa" -> "SW1A1AA"."""
    return "".join(postal_code.upper().split())


def code_key(code: str) -> str:
    """Codes are unique case-insensitively."""
    return code.casefold()
