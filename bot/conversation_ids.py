"""Conversation ids, as the engine's `sender`: "<channel>:<id>" ("sms:+15555550101",
"web:<session id>"). The one place that reads the channel out of one."""


def channel_of(conversation_id: str) -> str:
    return conversation_id.split(":", 1)[0]
