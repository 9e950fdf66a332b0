"""SLA policies and deadlines: when a waiting customer's case becomes due."""
