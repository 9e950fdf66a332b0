"""Whom an erasure or an export is about: `PLATFORM:AUTHOR_ID` or `PLATFORM:@handle`.

Pure: parsing what a person typed, recognising the subject's mentions, and the stable
pseudonym an erased author is left with.
"""

from __future__ import annotations

import hashlib
import hmac
import re
from dataclasses import dataclass, field

from chatops.domain import ERASED_PREFIX, Mention
from chatops.store.indexes import handle_key

PSEUDONYM_PREFIX = ERASED_PREFIX
"""Erased authors' ids start with this: an erased mention is recognised, never erased twice."""

_PLATFORM = re.compile(r"[a-z][a-z0-9_-]{0,31}")


@dataclass(frozen=True)
class Subject:
    """One person on one platform, named by author id or by handle (lower-case, no `@`)."""

    platform: str
    author_id: str = ""
    handle: str = ""
    ids: frozenset[str] = field(default_factory=frozenset)
    """Author ids found for the subject: the given id, and the ids writing as `handle`."""

    @classmethod
    def parse(cls, text: str, platforms: list[str]) -> Subject:
        """`facebook:1234` or `x:@anna`; ValueError with a reason people can act on."""
        platform, sep, who = text.strip().partition(":")
        platform = platform.strip().lower()
        who = who.strip()
        if not sep or not who:
            raise ValueError(f"expected PLATFORM:AUTHOR_ID or PLATFORM:@handle, got {text!r}")
        if not _PLATFORM.fullmatch(platform):
            raise ValueError(f"{platform!r} is not a platform name")
        if platforms and platform not in platforms:
            known = ", ".join(platforms)
            raise ValueError(f"unknown platform {platform!r} (configured: {known})")
        if who.startswith("@"):
            handle = handle_key(who)
            if not handle:
                raise ValueError("a handle after '@' is needed")
            return cls(platform, handle=handle)
        if who.startswith(PSEUDONYM_PREFIX):
            raise ValueError(f"{who} is the pseudonym of someone already erased")
        return cls(platform, author_id=who, ids=frozenset({who}))

    def with_ids(self, found: set[str]) -> Subject:
        return Subject(self.platform, self.author_id, self.handle, self.ids | found)

    @property
    def label(self) -> str:
        """As typed: for the operator's own output, never for logs or the audit."""
        return f"{self.platform}:" + (f"@{self.handle}" if self.handle else self.author_id)

    def wrote(self, mention: Mention) -> bool:
        """Whether `mention` is the subject's own (an erased one no longer is)."""
        if mention.platform != self.platform or is_erased(mention):
            return False
        if mention.author.id and mention.author.id in self.ids:
            return True
        return bool(self.handle) and handle_key(mention.author.handle) == self.handle


def is_erased(mention: Mention) -> bool:
    return mention.erased


def pseudonym(salt: str, platform: str, author_id: str) -> str:
    """A stable stand-in for an author id: the same person is the same pseudonym across
    cases (threads stay readable: "the same customer wrote again"), and the id cannot be
    found back from it without the store's random salt (a plain hash of a public id could)."""
    digest = hmac.new(salt.encode(), f"{platform}:{author_id}".encode(), hashlib.sha256)
    return PSEUDONYM_PREFIX + digest.hexdigest()[:10]
