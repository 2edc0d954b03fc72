"""A conversation id names its channel before the first colon."""

from bot.conversation_ids import channel_of


def test_the_channel_is_read_from_the_conversation_id() -> None:
    assert channel_of("sms:+15555550101") == "sms"
    assert channel_of("web:abc:def") == "web"
