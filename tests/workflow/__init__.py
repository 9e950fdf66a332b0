"""Cases: the state machine, the workflow service, escalation and reports."""
