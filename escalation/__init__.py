"""The chase: SLA clocks in business hours, escalation tiers, approval reminders, follow-ups,
daily digests and the weekly report, scheduled by APScheduler (one leader at a time)."""
