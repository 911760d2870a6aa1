"""The one exception type the analysis package raises for bad input."""

from __future__ import annotations


class AnalysisError(ValueError):
    """Input the analysis cannot use: a malformed codebook, an unknown language, bad data."""
