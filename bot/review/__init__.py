"""Designers learn from real traffic: the patient turns that went wrong in the engine's tracker
store, redacted, as NLU examples and test stories (routes for the desk, and a CLI)."""
