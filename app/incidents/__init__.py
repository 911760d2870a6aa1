"""Incident sheets, the study's second source: the form, counts by field, themes, personal-data checks."""
