"""The `chatops` command and `chatops run` as real processes, tried from outside."""
