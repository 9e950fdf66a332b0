"""Why a reply needs comms approval (four eyes): keywords, the author's reach, the department.

Each reason is a readable code (`keyword:lawsuit`, `reach:25000`, `department:legal`) so the
approver sees at once why the case waits for them. Keywords are looked for in the text's
matching form (`normalise`), so `law\u200bsuit` or `lаwsuit` with a Cyrillic `а` still counts.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Sequence

from chatops.classify.normalise import normalise


@functools.lru_cache(maxsize=32)
def _keyword_patterns(keywords: tuple[str, ...]) -> tuple[tuple[str, re.Pattern[str]], ...]:
    """One pattern per keyword: case-insensitive, at a word start, matching as prefix too."""
    out: list[tuple[str, re.Pattern[str]]] = []
    for kw in keywords:
        words = normalise(kw).split()
        if not words:
            continue
        body = r"\s+".join(re.escape(w) for w in words)
        out.append((" ".join(words), re.compile(rf"(?<!\w){body}", re.IGNORECASE)))
    return tuple(out)


def keyword_reasons(text: str, keywords: Sequence[str]) -> list[str]:
    """`keyword:<kw>` for each configured keyword found as a word or a word's start ("lawsuits")."""
    reasons: list[str] = []
    plain = normalise(text)
    for kw, rx in _keyword_patterns(tuple(keywords)):
        reason = f"keyword:{kw}"
        if reason not in reasons and rx.search(plain):
            reasons.append(reason)
    return reasons


def reach_reason(author_followers: int | None, min_followers: int | None) -> str | None:
    """`reach:<followers>` when the author is known to reach at least `min_followers`."""
    if author_followers is None or min_followers is None or author_followers < min_followers:
        return None
    return f"reach:{author_followers}"


def sensitivity_reasons(
    text: str,
    *,
    keywords: Sequence[str],
    author_followers: int | None,
    min_followers: int | None,
    department: str,
    approval_departments: Sequence[str],
) -> list[str]:
    """Every reason this mention's reply needs approval; empty means the owner may publish."""
    reasons = keyword_reasons(text, keywords)
    reach = reach_reason(author_followers, min_followers)
    if reach is not None:
        reasons.append(reach)
    if department and department in approval_departments:
        reasons.append(f"department:{department}")
    return reasons
