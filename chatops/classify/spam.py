"""Explainable spam signals.

Spam and an angry customer in a hurry look alike, so every signal is a short code staff can read,
and `is_spam` demands link or solicitation content: capitals, exclamation marks and swearing alone
never make a mention spam. Spam is only ever flagged, never deleted. Signals are looked for in the
text's matching form (`normalise`), so zero-width and look-alike characters do not hide a
shortener or a giveaway.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from chatops.classify.normalise import normalise

URL_RE = re.compile(
    r"(?i)\b(?:https?://|www\.)[^\s<>\"']+"
    r"|(?<![\w@.\-])(?:[a-z0-9\-]+\.)+[a-z]{2,}/[^\s<>\"']*"
)
"""A link: with scheme or `www.`, or a bare `domain.tld/path` as spammers write them."""

_BARE_DOMAIN = re.compile(r"(?i)(?<![\w@.\-])(?:[a-z0-9\-]+\.)+[a-z]{2,}(?![\w\-]|\.\w)")
"""A bare `domain.tld` without a path ("claim it at prize-now.net"). Too common in customers'
own words ("acme.se is down") to count as a link on its own; next to a solicitation it is where
the solicitation sends people (`promotes`)."""

CONTENT_SIGNALS = frozenset({"links", "shortener", "crypto", "giveaway"})
"""Signals about what the text promotes; at least one is needed before anything is spam."""

# X wraps every link and attached photo in t.co: a wrapper says nothing about the sender.
_PLATFORM_WRAPPERS = frozenset({"t.co", "lnkd.in", "fb.me", "m.me"})

_SHORTENER = re.compile(
    r"(?i)(?<![\w.\-])(?:bit\.ly|tinyurl\.com|goo\.gl|ow\.ly|is\.gd|buff\.ly|rebrand\.ly|cutt\.ly"
    r"|shorturl\.at|rb\.gy|t\.ly|tiny\.cc|bl\.ink|v\.gd|shorte\.st|adf\.ly|clck\.ru|qps\.ru|u\.to)"
    r"(?![\w.\-])"
)

_CRYPTO = re.compile(
    r"(?i)(?<!\w)(?:crypto|krypto|bitcoin|btc\b|ethereum|usdt\b|airdrop|nft|binance|forex"
    r"|blockchain|seed\s+phrase|wallet\s+(?:address|recovery)"
    r"|(?:double|triple)\s+your\s+(?:money|investment|bitcoin)"
    r"|крипт|биткоин|биткойн|криптовалют)"
)

# "DM me" alone is what a customer wanting private help writes, so only the solicitation form
# ("DM me for …", "DM me to earn …") counts.
_GIVEAWAY = re.compile(
    r"(?i)(?<!\w)(?:give\s*-?\s*away|free\s+(?:iphone|gift\s+card|money)|gratis\s+iphone"
    r"|dm\s+(?:me|us)\s+(?:for|on\s+(?:whatsapp|telegram|instagram|ig)\b|to\s+(?:earn|get|claim|win|"
    r"join|invest))"
    r"|inbox\s+me\s+for|earn\s+(?:[$€£]|\d[\d,.]*\s*(?:\$|usd|€|eur|dollars?))|make\s+money(?!\s+back)"
    r"|click\s+(?:here|the\s+link)|klicka\s+här|klikk\s+her|klik\s+her|hier\s+klicken"
    r"|klikni\s+(?:ovdje|ovde)|нажмите\s+(?:здесь|сюда)|перейдите\s+по\s+ссылке"
    r"|tjäna\s+pengar|tjen[e]?\s+penge|geld\s+verdienen|zaradi\s+novac|зарабат|заработ"
    r"|(?:tjäna|tjänar|tjänade|tjen|tjene|tjener|tjente|tjent|verdienen|verdient|verdiene"
    r"|zaradi|zaraditi|zaradio|zaradila|earn|earned|зарабат\w*|заработ\w*)"
    r"\s+(?:sie\s+|du\s+|you\s+)?(?:upp\s+till\s+|op\s+til\s+|opptil\s+|bis\s+zu\s+"
    r"|up\s+to\s+|до\s+)?"
    r"\d[\d\s.,]*(?:k\b|kr|kn|€|eur|euro|\$|usd|руб|₽)"
    r"|(?:trukket\s+ut|udtrukket|utvald|utdragen|ausgelost|izvu[cč]en|выбран)\w*"
    r".{0,30}(?:vinn|vind|gewinn|dobitn|победител)"
    r"|whatsapp\W{0,10}\+?\d[\d \-]{7,}|telegram\W{0,5}@\w+"
    r"|you(?:'ve|\s+have)?\s+won|congratulations.{0,20}(?:won|winner|selected)"
    r"|grattis.{0,20}vunnit|gratulerer.{0,20}vunnet|tillykke.{0,20}vundet"
    r"|gl(?:ü|ue)ckwunsch.{0,30}gewonnen|čestitamo.{0,30}osvojil|поздравляем.{0,30}выиграл"
    r"|claim\s+your\s+(?:prize|reward)|passive\s+income"
    r"|work\s+from\s+home|investment\s+(?:opportunit|platform)|100\s*%\s*(?:guaranteed|profit))"
)

_REPEATED = re.compile(r"([^\s\d])\1{4,}")
_GENERATED_HANDLE = re.compile(r"^(?:[A-Za-z][A-Za-z_]*?\d{6,}|user\d{3,}|[a-z]{1,3}\d{7,})$")

_SHOUT_MIN_LETTERS = 20
_SHOUT_RATIO = 0.7


def _host(url: str) -> str:
    rest = url.split("://", 1)[-1]
    host = re.split(r"[/?#]", rest, maxsplit=1)[0].lower()
    return host.removeprefix("www.")


def _shouting(text: str) -> bool:
    cased = [c for c in URL_RE.sub(" ", text) if c.isupper() or c.islower()]
    if len(cased) < _SHOUT_MIN_LETTERS:
        return False
    return sum(c.isupper() for c in cased) >= _SHOUT_RATIO * len(cased)


def spam_signals(
    text: str, *, author_followers: int | None = None, author_handle: str = ""
) -> list[str]:
    """Every spam signal the mention shows, in a fixed order, so staff see why it was flagged."""
    text = normalise(text)
    author_handle = normalise(author_handle)
    links = [u for u in URL_RE.findall(text) if _host(u) not in _PLATFORM_WRAPPERS]
    signals: list[str] = []
    if len(links) >= 2:
        signals.append("links")
    if _SHORTENER.search(text):
        signals.append("shortener")
    if _CRYPTO.search(text):
        signals.append("crypto")
    if _GIVEAWAY.search(text):
        signals.append("giveaway")
    if _shouting(text):
        signals.append("shouting")
    if _REPEATED.search(text):
        signals.append("repeated_chars")
    if author_followers == 0 and _GENERATED_HANDLE.match(author_handle.lstrip("@")):
        signals.append("new_account")
    return signals


def is_spam(signals: Sequence[str]) -> bool:
    """Two or more signals, at least one about promoted content: emotion alone is never spam."""
    distinct = set(signals)
    return len(distinct) >= 2 and bool(distinct & CONTENT_SIGNALS)


PROMOTION_SIGNALS = frozenset({"crypto", "giveaway"})
"""Signals of a solicitation: money to make, a prize to claim, a coin to buy."""


def promotes(text: str, signals: Sequence[str]) -> bool:
    """A solicitation with a link to follow: no customer to answer, even with one signal.

    `is_spam` wants two signals because flagging a customer as spam hides them; a draft only
    needs to know whether writing one is worth it, and "you have won, claim it at <link>" or
    "earn money from home, bit.ly/…" never is. A person still dismisses it.
    """
    text = normalise(text)
    link = URL_RE.search(text) or _BARE_DOMAIN.search(text)
    return bool(PROMOTION_SIGNALS & set(signals)) and bool(link)
