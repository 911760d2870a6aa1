"""Re-anchoring codings after a passage edit."""

from __future__ import annotations

from analysis.anchoring import reanchor


def test_span_moves_with_text_inserted_before_it():
    """Adding words before a coded span shifts it onto the same words."""
    old = "Le CPAS a fermé le guichet."
    new = "Hier, le CPAS de la commune a fermé le guichet."
    start = old.index("fermé le guichet")
    (moved,) = reanchor(old, new, [(start, start + len("fermé le guichet"))])
    assert new[moved.start : moved.end] == "fermé le guichet" and moved.intact


def test_span_after_emoji_and_deletion_stays_on_its_words():
    """Deleting text and an emoji before the span keeps code-point offsets right."""
    old = "Ja 👍🏽 dus, de pincode zat in het dossier."
    new = "Ja, de pincode zat in het dossier."
    start = old.index("pincode")
    (moved,) = reanchor(old, new, [(start, start + 7)])
    assert new[moved.start : moved.end] == "pincode" and moved.intact


def test_span_whose_words_were_edited_is_reported():
    """Changing a word inside the span marks it as touched, with an adjusted span."""
    old = "Ze gaf me haar bankcode op een post-it."
    new = "Ze gaf me haar pincode op een post-it."
    start = old.index("haar bankcode")
    (moved,) = reanchor(old, new, [(start, start + len("haar bankcode"))])
    assert not moved.intact
    assert new[moved.start : moved.end] == "haar pincode"


def test_span_whose_words_were_deleted_collapses_and_is_reported():
    """Deleting the coded words entirely leaves an empty, touched span."""
    old = "Début. Passage codé ici. Fin."
    new = "Début. Fin."
    start = old.index("Passage codé ici.")
    (moved,) = reanchor(old, new, [(start, start + len("Passage codé ici."))])
    assert not moved.intact and moved.end - moved.start <= 1


def test_untouched_spans_around_an_edit_are_intact():
    """Spans before and after an edit stay intact; only the overlapping one is flagged."""
    old = "een twee drie vier vijf"
    new = "een twee DRIE vier vijf"
    spans = [(0, 3), (9, 13), (19, 23)]
    results = reanchor(old, new, spans)
    assert [r.intact for r in results] == [True, False, True]
    assert [new[r.start : r.end] for r in results] == ["een", "DRIE", "vijf"]
