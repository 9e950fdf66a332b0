"""The Slack chat backend (Bolt for Python): `chat.backend: slack`.

Public: `backend.create(runtime)`. The variables the backend refuses to start without are declared
below it (`chatops.settings.backend_env`), so `chatops run` and `check-config` read them without
importing Bolt.
"""
