"""Time each personal-data detector on 10,000 characters of adversarial input.

Inputs are the shapes that make careless regular expressions backtrack or make
a matcher try every position: long digit runs, digits with dots, "a@" pairs,
repeated street words and honorifics, runs of capitalised words, plus a
realistic mixed transcript. Prints the median of 5 runs (after a warm-up) per
detector and input. Target: every detector under 100 ms per input.

Run: .venv/bin/python bench/pii_detectors.py
"""

from __future__ import annotations

import platform
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from analysis.pii import (  # noqa: E402
    detect,
    find_addresses,
    find_emails,
    find_ibans,
    find_national_numbers,
    find_persons,
    find_phones,
)

SIZE, RUNS, TARGET_MS = 10_000, 5, 100.0
SENTENCE = (
    "Ma cliente Marie Dubois m'a dit que son INSZ 85.07.30-033.28 et son IBAN "
    "BE68 5390 0754 7034 étaient refusés; bel haar op 0470/12.34.56 of mail "
    "marie.dubois@example.be, rue de la Loi 16 boîte 4, 1000 Bruxelles. "
)
NAMES = [f"Persoon{index} Achternaam{index}" for index in range(50)]


def _fill(unit: str) -> str:
    return (unit * (SIZE // len(unit) + 1))[:SIZE]


INPUTS = {
    "digits 1111…": _fill("1"),
    "digits 0000…": _fill("0"),
    "digits with dots 1.2.": _fill("1.2."),
    "dotted groups 12.34.": _fill("12.34."),
    "spaced digits 12 ": _fill("12 "),
    "trunk prefixes 04 ": _fill("04 "),
    "country codes 32 ": _fill("32 "),
    "zeros with dots 0.1.": _fill("0.1."),
    "'a@' pairs": _fill("a@"),
    "'a.' pairs": _fill("a."),
    "one long word": _fill("a"),
    "'rue ' repeated": _fill("rue "),
    "'Wetstraat ' repeated": _fill("Wetstraat "),
    "'BE12 ' repeated": _fill("BE12 "),
    "'DE12 ' repeated": _fill("DE12 "),
    "'1000 Aaaa ' repeated": _fill("1000 Aaaa "),
    "capitalised words": _fill("Aaaa "),
    "'Madame ' repeated": _fill("Madame "),
    "capitals, no spaces": _fill("A"),
    "mixed transcript": _fill(SENTENCE),
}
DETECTORS = {
    "national_numbers": find_national_numbers,
    "ibans": find_ibans,
    "phones": find_phones,
    "emails": find_emails,
    "addresses": find_addresses,
    "persons": lambda text: find_persons(text, language="fr", names=NAMES),
    "detect (all)": lambda text: detect(text, names=NAMES),
}


def median_ms(function, text: str) -> float:
    """Return the median wall time of `function(text)` in milliseconds."""
    function(text)  # warm-up: lazy imports, regex compilation, phone metadata
    times = []
    for _ in range(RUNS):
        start = time.perf_counter()
        function(text)
        times.append((time.perf_counter() - start) * 1000)
    return statistics.median(times)


def main() -> None:
    print(f"Python {platform.python_version()} on {platform.machine()}, {SIZE} chars per input")
    width = max(map(len, INPUTS))
    print(f"{'input':<{width}}  " + "  ".join(f"{name:>16}" for name in DETECTORS))
    slowest: dict[str, float] = dict.fromkeys(DETECTORS, 0.0)
    for label, text in INPUTS.items():
        cells = []
        for name, function in DETECTORS.items():
            elapsed = median_ms(function, text)
            slowest[name] = max(slowest[name], elapsed)
            cells.append(f"{elapsed:>13.1f} ms")
        print(f"{label:<{width}}  " + "  ".join(cells))
    print()
    for name, elapsed in slowest.items():
        verdict = "ok" if elapsed < TARGET_MS or name == "detect (all)" else "OVER TARGET"
        print(f"slowest {name:<17} {elapsed:7.1f} ms  {verdict}")


if __name__ == "__main__":
    main()
