"""Teams: cards, the bot end to end, its security and the app package."""
