"""The strength rule every process applies to its production secrets."""

from __future__ import annotations

import base64
import random

import pytest

from bot.privacy.secret_strength import MIN_LENGTH, secret_problems, weakness


# What `make run`, `secrets.token_urlsafe(32)` and Twilio (32 hex digits) hand out, drawn
# from a seeded generator so that the gate is the same on every run.
def urlsafe(rng: random.Random, size: int) -> str:
    return base64.urlsafe_b64encode(rng.randbytes(size)).rstrip(b"=").decode()


GENERATORS = {"token_urlsafe(24)": lambda rng: urlsafe(rng, 24),
              "token_urlsafe(32)": lambda rng: urlsafe(rng, 32),
              "token_hex(16)": lambda rng: rng.randbytes(16).hex()}


@pytest.mark.parametrize("name", sorted(GENERATORS))
def test_random_tokens_pass(name: str) -> None:
    rng = random.Random(name)
    weak = [why for why in (weakness(GENERATORS[name](rng)) for _ in range(5000)) if why]
    assert weak == []


@pytest.mark.parametrize(("value", "why"), [
    ("aaaaaaaaaaaaaaaa", f"is shorter than {MIN_LENGTH} characters"),
    ("passwordpassword", f"is shorter than {MIN_LENGTH} characters"),
    ("a" * 64, "uses one kind of character only"),
    ("passwordpasswordpasswordpassword", "uses one kind of character only"),
    ("thisismysecretpasswordforprodenv", "uses one kind of character only"),
    ("aAaAaAaAaAaAaAaAaAaAaAaAaAaAaAaAbB", "repeats too few different characters"),
    ("P@ssw0rdP@ssw0rdP@ssw0rdP@ssw0rd!", "repeats part of itself"),
    ("0123456789abcdef0123456789abcdef", "repeats part of itself"),  # pragma: allowlist secret
    ("Zt8qLm3Nv6Rb1Xp4Kw9sZt8qLm3Nv6Rb1", "repeats part of itself"),
    ("replace-with-a-long-random-value", "holds a common word or sequence"),
    ("change-me-to-a-long-random-value-now", "holds a common word or sequence"),
    ("Pr0duction-S3cret-f0r-the-Cl1nic-2026", "holds a common word or sequence"),
    ("Xk9-stack-actions-token-for-tests-7Q", "holds a common word or sequence"),
    ("9fK2mQ7xLp4Vn8Rt123456Zw3Hs6Jd1Bc5",  # pragma: allowlist secret
     "holds a common word or sequence"),
])
def test_weak_values_are_refused_for_a_reason(value: str, why: str) -> None:
    assert weakness(value) == why


def test_problems_name_the_variable_never_the_value() -> None:
    values = {"ENGINE_TOKEN": "aaaaaaaaaaaaaaaa", "ACTIONS_TOKEN": "passwordpassword",
              "BACKOFFICE_TOKEN": urlsafe(random.Random(1), 32), "TWILIO_AUTH_TOKEN": "",
              "REVIEW_SALT": "", "METRICS_TOKEN": "passwordpassword"}
    problems = secret_problems(values, optional=frozenset({"REVIEW_SALT", "METRICS_TOKEN"}))
    assert [p.split(" ", 1)[0] for p in problems] == [
        "ENGINE_TOKEN", "ACTIONS_TOKEN", "TWILIO_AUTH_TOKEN", "METRICS_TOKEN"]
    assert problems[0].startswith("ENGINE_TOKEN is a weak secret: it is shorter than 32 "
                                  "characters. Set a random one of at least 32 characters "
                                  "(python -c 'import secrets; print(secrets.token_urlsafe(32))').")
    assert problems[2].startswith("TWILIO_AUTH_TOKEN is not set")
    text = "\n".join(problems)
    assert "aaaa" not in text and "passwordpassword" not in text
