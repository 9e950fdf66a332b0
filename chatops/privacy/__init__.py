"""Customers' personal data on request (issue 15): erasure (`forget`), export, and the text
of what its author removed on the platform purged (`removal`)."""

from chatops.privacy.export import SCHEMA, export
from chatops.privacy.forget import Erasure, Forgetter
from chatops.privacy.subject import Subject

__all__ = ["SCHEMA", "Erasure", "Forgetter", "Subject", "export"]
