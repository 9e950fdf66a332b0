"""The chat-neutral layer and the console: commands, scope, presentation, mixed tools."""
