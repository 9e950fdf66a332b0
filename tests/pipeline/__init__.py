"""The inbound path: ingest, classification, language, routing, drafts."""
