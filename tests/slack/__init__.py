"""Slack: layout, limits, scope, outage, the manifest and the local Web API."""
