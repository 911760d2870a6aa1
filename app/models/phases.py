"""The eleven phases of a MAG analysis cycle (see shared DOMAIN.md)."""

from __future__ import annotations

from dataclasses import dataclass

from flask_babel import lazy_gettext as _l


@dataclass(frozen=True)
class Phase:
    """A phase of the method: its number, stable key and translated name."""

    number: int
    key: str
    name: object  # a lazy string, translated when rendered


PHASES: tuple[Phase, ...] = (
    Phase(1, "proposals", _l("Story proposals")),
    Phase(2, "choice", _l("Choice of the story")),
    Phase(3, "narrative", _l("Narrative")),
    Phase(4, "information_questions", _l("Information questions")),
    Phase(5, "first_round", _l("First round of interpretations")),
    Phase(6, "narrator_reaction", _l("Narrator's reaction")),
    Phase(7, "second_round", _l("Second round of interpretations")),
    Phase(8, "analysis", _l("Analysis: convergences and divergences")),
    Phase(9, "theory", _l("Theoretical input, hypotheses, new problem")),
    Phase(10, "perspectives", _l("Practical perspectives")),
    Phase(11, "evaluation", _l("Evaluation")),
)
PHASE_BY_NUMBER = {phase.number: phase for phase in PHASES}
