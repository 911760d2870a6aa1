"""Spreadsheet cells that stay text: the CSV/XLSX injection guard every export uses."""

from __future__ import annotations

_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def spreadsheet_cell(value) -> str:
    """Quote a cell that a spreadsheet would run as a formula (CSV injection)."""
    text = str(value)
    return "'" + text if text.startswith(_FORMULA_START) else text


def from_spreadsheet_cell(text: str) -> str:
    """Undo `spreadsheet_cell` when reading our own export back."""
    if text.startswith("'") and text[1:].startswith(_FORMULA_START):
        return text[1:]
    return text
