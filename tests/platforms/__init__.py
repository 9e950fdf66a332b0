"""The platform adapters and their payloads, end to end, replay and reconcile."""
