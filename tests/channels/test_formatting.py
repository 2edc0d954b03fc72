from bot.conversations.schemas import BotMessage, Button
from channels.formatting import sms_body, split_sms

YES_NO = [Button(title="Yes", payload="/affirm"), Button(title="No", payload="/deny")]


def test_one_sms_per_turn_with_numbered_choices() -> None:
    body, buttons = sms_body([BotMessage(text="Sorry, that doesn't match."),
                              BotMessage(text="Want to try again?", buttons=YES_NO)])
    assert body == ("Sorry, that doesn't match.\n\nWant to try again?\n\n"
                    "1. Yes\n2. No\nReply 1 or 2.")
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
    assert body == "¿Cancelo su cita?\n\n1. Sí\n2. No\nResponda 1 o 2."
    assert buttons == si_no


def test_spanish_in_gsm7_only_with_e_n_u_and_its_marks() -> None:
    """GSM 03.38's basic set has é É ñ Ñ ü Ü ¿ ¡ (and à è ì ò ù); á í ó ú (and Á Í Ó Ú) are
    not in it nor in its extension table: one of them makes the text UCS-2."""
    from channels.formatting import is_gsm7, segments

    assert all(is_gsm7(ch) for ch in "éÉñÑüÜ¿¡àèìòù")
    assert not any(is_gsm7(ch) for ch in "áíóúÁÍÓÚ")
    assert is_gsm7("¿Señor Müller? ¡Qué bien!")
    assert not is_gsm7("¿Cuál es su fecha de nacimiento?")
    # 160 in GSM-7 is one part; the same length with one "á" is three UCS-2 parts (67 each).
    gsm = "¿Señor? " + "ñ" * 152
    assert (len(gsm), segments(gsm)) == (160, 1)
    ucs2 = "¿Cuál? " + "ñ" * 153
    assert (len(ucs2), segments(ucs2)) == (160, 3)
    assert [segments("á" * n) for n in (70, 71, 134, 135)] == [1, 2, 2, 3]


def test_a_two_unit_character_is_never_split_between_parts() -> None:
    from channels.formatting import segments

    # 306 septets fit two parts of 153, but "{" (escape + brace) cannot straddle them.
    assert segments("a" * 152 + "{" + "a" * 152) == 3
    assert segments("a" * 151 + "{" + "a" * 153) == 2
    # The same for an emoji's two UTF-16 units in UCS-2 parts of 67.
    assert segments("á" * 66 + "😀" + "á" * 66) == 3
    assert segments("á" * 65 + "😀" + "á" * 67) == 2


def test_numbered_choices_are_asked_for_in_the_conversations_language() -> None:
    from channels.formatting import is_gsm7

    reply = [BotMessage(text="¿Cuál le sirve?", buttons=[
        Button(title="Martes 8 de diciembre, 9:00", payload="/a"),
        Button(title="Miércoles 9, 10:30", payload="/b"),
        Button(title="Otra hora", payload="/c")])]
    body, _ = sms_body(reply, "es")
    assert body.endswith("1. Martes 8 de diciembre, 9:00\n2. Miércoles 9, 10:30\n"
                         "3. Otra hora\nResponda 1, 2 o 3.")
    assert is_gsm7("Responda 1, 2 o 3.")
    one = [BotMessage(text="¿Le sirve?", buttons=reply[0].buttons[:1])]
    assert sms_body(one, "es")[0].endswith("1. Martes 8 de diciembre, 9:00\nResponda 1.")
    assert sms_body(reply)[0].endswith("3. Otra hora\nReply 1, 2, or 3.")
