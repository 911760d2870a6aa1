"""Personal data in stored text: detection (`scan`), review queue (`queue`), replacing it.

Modules: `scan`, `queue`, `replace`.
"""
