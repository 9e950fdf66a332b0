"""Storm detection (issue 13 item 1)."""
