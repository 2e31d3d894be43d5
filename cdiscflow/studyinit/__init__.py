"""``cdiscflow init``: a first study guessed from raw forms (docs/daily-loop.md)."""
