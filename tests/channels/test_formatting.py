from bot.conversations.schemas import BotMessage, Button
from channels.formatting import sms_body, split_sms

YES_NO = [Button(title="Yes", payload="/affirm"), Button(title="No", payload="/deny")]


def test_one_sms_per_turn_with_numbered_choices() -> None:
    body, buttons = sms_body([BotMessage(text="Sorry, that doesn't match."),
                              BotMessage(text="Want to try again?", buttons=YES_NO)])
    assert body == ("Sorry, that doesn't match.\n\nWant to try again?\n\n"
                    "1. Yes\n2. No\nReply with a number.")
    assert buttons == YES_NO


def test_long_text_splits_at_sentences_within_1600() -> None:
    sentence = "This is a sentence about your bill. "
    parts = split_sms(sentence * 100)
    assert len(parts) == 3
    assert all(len(p) <= 1600 for p in parts)
    assert all(p.endswith(".") for p in parts)
    assert " ".join(parts) == (sentence * 100).strip()


def test_a_word_longer_than_the_limit_is_cut() -> None:
    parts = split_sms("x" * 3500)
    assert [len(p) for p in parts] == [1600, 1600, 300]


def test_short_text_is_one_part() -> None:
    assert split_sms("Hi!") == ["Hi!"]
    assert split_sms("") == []


def test_our_punctuation_stays_in_gsm7_so_a_reply_costs_one_segment() -> None:
    from channels.formatting import is_gsm7, segments, to_gsm7

    text = to_gsm7("• Nov 6, Lab work: $85.40 — it’s “covered”…")
    assert text == "- Nov 6, Lab work: $85.40 - it's \"covered\"..."
    assert is_gsm7(text) and segments(text) == 1
    body, _ = sms_body([BotMessage(text="You owe $125.40:\n• Lab work: $85.40")])
    assert is_gsm7(body)


def test_segments_count_like_a_carrier() -> None:
    from channels.formatting import segments

    assert [segments("a" * n) for n in (1, 160, 161, 306, 307)] == [1, 1, 2, 2, 3]
    assert segments("{" * 80) == 1 and segments("{" * 81) == 2  # extension chars count twice
    assert [segments("é" * 160), segments("ü" * 160)] == [1, 1]  # both are in GSM-7
    assert [segments("😀" * 35), segments("😀" * 36), segments("ł" * 71)] == [1, 2, 2]


def test_numbered_choices_in_spanish() -> None:
    si_no = [Button(title="Sí", payload="/affirm"), Button(title="No", payload="/deny")]
    body, buttons = sms_body([BotMessage(text="¿Cancelo su cita?", buttons=si_no)], "es")
    assert body == "¿Cancelo su cita?\n\n1. Sí\n2. No\nResponda con un número."
    assert buttons == si_no
