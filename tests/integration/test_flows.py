"""One flow of each area through the real stack, on SMS and on web chat."""

import re

import httpx
import pytest

from tests.support.stack import Stack

pytestmark = pytest.mark.integration


def web(stack: Stack, token: str, text: str) -> tuple[str, list[dict[str, str]]]:
    messages = stack.web_turn(token, text)
    buttons = [b for m in messages for b in m.get("buttons", []) or []]  # type: ignore[union-attr]
    return " ".join(str(m["text"]) for m in messages), buttons  # type: ignore[return-value]


def verified_web(stack: Stack) -> str:
    token = stack.web_session()
    for text in ("hi", "what's my balance", "Maria Lopez", "03/12/1984"):
        stack.web_turn(token, text)
    assert "125.40" in web(stack, token, "02139")[0]
    return token


def test_sms_appointment_check(stack: Stack) -> None:
    phone = "+15555550102"  # James Carter
    assert "date of birth" in stack.sms_turn(phone, "when is my next appt", "SMfl-a1")
    reply = stack.sms_turn(phone, "11/2/1975", "SMfl-a2")
    assert "Dr. Alan Kim" in reply and re.search(r"at 2:00 PM", reply), reply


def test_web_refill_by_description(stack: Stack) -> None:
    token = verified_web(stack)
    text, buttons = web(stack, token, "i need a refill of my blood pressure pill")
    assert "Lisinopril" in text and "Main Street Pharmacy" in text, text
    yes = next(b for b in buttons if b["title"].lower().startswith("yes"))
    done, _ = web(stack, token, yes["payload"])
    assert "reference number is RX-" in done, done


def test_sms_payment_link_is_single_use(stack: Stack) -> None:
    phone = "+15555550103"  # Aisha Khan, $310.00 past due (Maria's bill stays for others)
    reply = stack.sms_turn(phone, "i want to pay my bill", "SMfl-p1")
    assert "date of birth" in reply and "$" not in reply
    reply = stack.sms_turn(phone, "07/25/1992", "SMfl-p2")
    url = re.search(r"(https?://\S+/pay/\S+)", reply)
    assert url, reply
    link = url.group(1).rstrip(".")
    page = httpx.get(link)
    assert page.status_code == 200 and "310.00" in page.text
    assert httpx.post(link).status_code in (200, 303)
    assert httpx.post(link).status_code == 410
