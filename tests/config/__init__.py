"""The config file and the settings read from the environment."""
