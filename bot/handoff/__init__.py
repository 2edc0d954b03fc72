"""Warm handoff: the moment a person takes over a conversation, and the moment the bot takes
it back."""
