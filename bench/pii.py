"""Personal-data detection on 1 MB texts: adversarial shapes and normal prose.

The detector runs on every inbound mention and on every public reply, so its time must grow
linearly with the text: one MB of IBAN-shaped text once froze the whole process for over 20 s.
Prints CPU seconds (not wall time, so a busy machine does not blur the figures) per case for
`--size` characters, and how much longer that took than a tenth of the text: about 10 means
linear, a quadratic detector shows about 100.

Usage: python -m bench.pii [--size 1000000]
"""

from __future__ import annotations

import argparse
import functools
import time
from collections.abc import Callable

from chatops.classify import asks_for_pii, classify, find_pii

NORMAL = (
    "Hej! Jag beställde en jacka förra veckan men den har inte kommit än. Ring mig gärna på "
    "070-123 45 67 eller maila anna.berg@example.se, ordernummer 123456. Tack för hjälpen! "
    "Leveransen skulle komma 2026-11-23 kl 10:00 och kostade 1 299,00 kr. "
)


def _fill(unit: str, size: int) -> str:
    return (unit * (size // len(unit) + 1))[:size]


def cases(size: int) -> dict[str, str]:
    """Name -> text of `size` characters."""
    return {
        "valid IBANs": _fill("SE45 5000 0000 0583 9825 7466 ", size),
        "invalid IBAN shapes": _fill("DE89 3704 0044 0532 0130 01 ", size),
        "one IBAN-shaped token": "SE45" + _fill("A0", size - 4),
        "IBAN groups, no country": "SE45 " + _fill("WEST ", size - 5),
        "valid cards": _fill("4111 1111 1111 1111 ", size),
        "digits with spaces": _fill("1 ", size),
        "digit pairs": _fill("12 34 ", size),
        "phones": _fill("+46701234567 ", size),
        "e-mail-like dots": _fill("a.", size),
        "e-mail-like at-signs": _fill("a@", size),
        "long local part": _fill("a", size - 6) + "@b.se",
        "long domain": "a@" + _fill("b.", size - 2),
        "prices and dates": _fill("12 345 kr 2026-11-23 10:00 ", size),
        "zero-width spliced digits": _fill("4\u200b1\u2060", size),
        "full-width digits": _fill("４１１１ ", size),
        "Cyrillic in Latin words": _fill("l\u0430wsuit \u043erder ", size),
        "normal text": _fill(NORMAL, size),
    }


def timed(fn: Callable[[], object]) -> float:
    started = time.process_time()
    fn()
    return time.process_time() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--size", type=int, default=1_000_000)
    args = parser.parse_args()
    tenth = cases(args.size // 10)
    print(
        f"{'text (' + format(args.size, ',') + ' characters)':28}"
        "  find_pii  ×(1/10 size)  asks_for_pii  classify"
    )
    for name, text in cases(args.size).items():
        pii = timed(functools.partial(find_pii, text))
        growth = pii / max(timed(functools.partial(find_pii, tenth[name])), 1e-6)
        asks = timed(functools.partial(asks_for_pii, text))
        whole = timed(functools.partial(classify, text, sensitive_keywords=("lawsuit", "GDPR")))
        print(f"{name:28} {pii:8.3f}s {growth:10.1f}   {asks:10.3f}s {whole:8.3f}s")


if __name__ == "__main__":
    main()
