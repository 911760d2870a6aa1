"""Incident sheets, the second source: form, counts by field, themes, personal-data checks."""
