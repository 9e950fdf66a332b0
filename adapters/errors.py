"""What can go wrong at a platform's edge, mapped from its wire format to our own terms.

PlatformError
├── BadSignature      inbound: signature missing or wrong            -> 401, nothing stored
├── BadPayload        inbound: not a body we understand              -> 400 with the reason
├── NotSent           outbound: the platform certainly did not post it; retrying is safe
│   ├── RateLimited       ... because of a rate limit; retry after `retry_after` seconds
│   └── PermanentError    ... and retrying will not help (deleted, window closed, token)
└── OutcomeUnknown    outbound: the request may have reached the platform; a person checks
"""

from __future__ import annotations


class PlatformError(Exception):
    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class BadSignature(PlatformError):
    pass


class BadPayload(PlatformError):
    pass


class NotSent(PlatformError):
    pass


class RateLimited(NotSent):
    def __init__(self, reason: str, retry_after: float) -> None:
        super().__init__(reason)
        self.retry_after = retry_after


class PermanentError(NotSent):
    pass


class OutcomeUnknown(PlatformError):
    pass
