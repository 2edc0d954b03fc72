"""Who read which patient's data, when, and why: append-only."""
