"""Getting the sessions' words in: sessions and phases, passages and their editor, stories,
live capture, and transcript import with its file formats (`formats/`).
"""
