"""Reply templates: replies/<lang>/<intent>.j2 (package so they ship in the wheel)."""
