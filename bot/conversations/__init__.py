"""Talking to the dialogue engine on behalf of a patient's channel."""
