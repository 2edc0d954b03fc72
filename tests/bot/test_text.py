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
