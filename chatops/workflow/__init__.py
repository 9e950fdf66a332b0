"""Case workflow: the pure state machine and the service that applies it atomically."""
