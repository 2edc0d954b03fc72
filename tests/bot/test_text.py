import pytest

from bot.text import money


@pytest.mark.parametrize(("cents", "said"), [
    (0, "$0.00"),
    (5, "$0.05"),
    (12540, "$125.40"),
    (123456789, "$1,234,567.89"),
    (2**53 + 1, "$90,071,992,547,409.93"),  # a float would round this
    (-4000, "-$40.00"),
])
def test_money_is_exact_cents(cents: int, said: str) -> None:
    assert money(cents) == said


def test_bidirectional_controls_are_taken_out() -> None:
    from bot.text import clean_text, without_bidi_controls

    # Overrides, embeddings, isolates and marks go; right-to-left letters stay.
    assert clean_text("\u202eabc\u202c \u2066x\u2069 \u200fשלום\u200e") == "abc x שלום"
    assert without_bidi_controls({"a\u202e": ["b\u2067", 1, None, ("c\u202d",)]}) == {
        "a": ["b", 1, None, ["c"]]}
