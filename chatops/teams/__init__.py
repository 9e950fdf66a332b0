"""The Microsoft Teams chat backend (botbuilder, Bot Framework): `chat.backend: teams`.

Public: `backend.create(runtime)`. The variables the backend refuses to start without are declared
below it (`chatops.settings.backend_env`), so `chatops run` and `check-config` read them without
importing botbuilder.
"""
