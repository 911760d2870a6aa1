"""Pure text analysis for MAG Workbench: no Flask, no SQLAlchemy, no network.

Importing this package is cheap; heavier NLP loads lazily where it is used.
"""

from analysis.text import normalise_text

__all__ = ["normalise_text"]
