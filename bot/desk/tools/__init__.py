"""The agent's working tools at the desk: saved replies, private notes, follow-ups that
happen, and closed conversations that stay findable."""
