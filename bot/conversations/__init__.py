"""Talking to the dialogue engine on behalf of a patient's channel, and the transcript of every
conversation (written and read only through `transcript.py`)."""
