"""The versioned study archive: its format (`format`), writing it (`export`), a verified atomic
restore (`restore`) with every id remapped (`remap`).
"""
