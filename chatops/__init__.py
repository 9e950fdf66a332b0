"""chatops: social-media mentions as threads in the chat tools where the answers live."""

__version__ = "0.1.0"
