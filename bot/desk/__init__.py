"""The agent desk: agents, their logins, and what they see and do."""
