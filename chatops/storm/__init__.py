"""Storm detection (issue 13): many people writing the same thing within minutes.

`detect` says what a mention is about as keys near-duplicates share (pure); the groups live in
Redis (`chatops.store.storms`); `StormWatch` is what the worker calls per mention and per sweep.
"""

from chatops.store.storms import Closed, Group, Verdict
from chatops.storm.detect import Detector, Fingerprint
from chatops.storm.watch import StormWatch, author_of, brand_names

__all__ = [
    "Closed",
    "Detector",
    "Fingerprint",
    "Group",
    "StormWatch",
    "Verdict",
    "author_of",
    "brand_names",
]
