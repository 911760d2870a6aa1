"""A participant's answers sent from an older page: what they would change of the saved ones.

The participant's page carries its link's `answers_version`. `rounds.save_answers` hands
`answer_changes` to `platform/edits.claim_version`, so answers sent from a page drawn
before another save (answered on a phone, then an old laptop tab submitted) are refused
and shown next to the saved ones only when they would replace something saved: a
statement left blank, answered as saved, or with no saved answer loses nothing.
"""

from __future__ import annotations

from flask_babel import gettext as _

from app.models import Passage, QuoteChoice, QuoteDecision, StatementAnswer, Verdict
from app.platform.edits import Difference
from app.platform.forms import clean_long_text


def _said(words: str, text: str) -> str:
    return f"{words}: {text}" if text else words


def answer_changes(
    items: list,
    answers: dict[int, StatementAnswer],
    quotes: list[tuple[Passage, QuoteDecision | None]],
    form,
    *,
    max_length: int,
) -> list[Difference]:
    """Return, per saved answer or quote choice the form would replace, both as words.

    `items` are the round's statements in page order, `answers` the saved ones by statement
    id, `quotes` the participant's own passages the form decides about, with the saved
    decision. Read in the page's language (the labels the participant chose from).
    """
    verdicts = {
        Verdict.AGREE: _("I agree"),
        Verdict.NUANCE: _("I agree, with a nuance"),
        Verdict.DISAGREE: _("I disagree"),
    }
    changes = []
    for number, item in enumerate(items, start=1):
        saved = answers.get(item.statement_id)
        field = f"comment-{item.statement_id}"
        value = form.get(f"verdict-{item.statement_id}", "")
        if saved is None or value not in verdicts:  # nothing to lose, or refused anyway
            continue
        comment = clean_long_text(form.get(field), field, max_length=max_length).strip()
        if (saved.verdict, saved.comment) != (value, comment):
            changes.append(
                Difference(
                    _("Statement %(number)d", number=number),
                    _said(verdicts[saved.verdict], saved.comment),
                    _said(verdicts[Verdict(value)], comment),
                )
            )
    choices = {
        QuoteChoice.KEEP: _("Keep this quote"),
        QuoteChoice.REPHRASE: _("I want to rephrase it"),
        QuoteChoice.WITHDRAW: _("Withdraw it: do not quote me"),
    }
    for passage, saved in quotes:
        field = f"rephrase-{passage.id}"
        value = form.get(f"quote-{passage.id}", "")
        if saved is None or value not in choices:
            continue
        rephrasing = clean_long_text(form.get(field), field, max_length=max_length).strip()
        if (saved.choice, saved.rephrasing) != (value, rephrasing):
            words = passage.text if len(passage.text) <= 80 else passage.text[:79] + "…"
            changes.append(
                Difference(
                    f"{_('Your words quoted here:')} «\u00a0{words}\u00a0»",
                    _said(choices[saved.choice], saved.rephrasing),
                    _said(choices[QuoteChoice(value)], rephrasing),
                )
            )
    return changes
