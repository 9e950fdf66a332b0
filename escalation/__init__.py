"""The chase: the jobs that carry out what the workflow's policy says is due (escalation tiers,
approval reminders, follow-ups), daily digests and the weekly report, scheduled by APScheduler
(one leader at a time)."""
