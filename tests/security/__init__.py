"""Attackers and personal data: HTTP, start-up, hygiene, PII, floods."""
