"""Verification is no oracle and no lockout a stranger can trigger.

Through the real back-office API and Redis: what a caller hears never depends on whether the
details belong to a patient; failures count per conversation and per source; strangers'
failures never stop the patient's own number; a paused person is told the real time left;
a record under repeated attack pauses its web checks, says so alike for the right and wrong
details without spending tries, and alerts the desk once.
"""

import json
from collections.abc import Callable
from typing import Any

import pytest
import redis
from rasa_sdk.events import SlotSet
from rasa_sdk.executor import CollectingDispatcher
from sqlalchemy import select
from sqlalchemy.orm import Session

from actions.auth import ValidateVerifyForm, minutes, tries
from actions.backoffice_client import BackOfficeClient
from bot.backoffice.models import Patient
from bot.live import DESK_CHANNEL, in_db
from bot.responses import response_text
from tests.actions.conftest import DOMAIN, make_tracker

WRONG_DOB = "1990-01-01"


def web_try(sender: str, name: str, zip_code: str, ip: str = "203.0.113.7"):  # type: ignore[no-untyped-def]
    return make_tracker(sender=sender, requested_slot="zip_code",
                        slots={"full_name": name, "dob": WRONG_DOB},
                        extracted={"zip_code": zip_code},
                        metadata={"channel": "web", "ip": ip})


async def run(form: ValidateVerifyForm, tracker: Any) -> tuple[list[dict[str, Any]], list[Any]]:
    dispatcher = CollectingDispatcher()
    events = await form.run(dispatcher, tracker, DOMAIN)
    return events, dispatcher.messages


async def test_known_and_unknown_identities_are_answered_alike(
        seeded: Session, backoffice: Callable[[], BackOfficeClient]) -> None:
    form = ValidateVerifyForm(backoffice)
    known = [await run(form, web_try("web:known", "James Carter", "10001", ip="198.51.100.1"))
             for _ in range(3)]
    unknown = [await run(form, web_try("web:nobody", "Nobody Known", "99999",
                                       ip="198.51.100.2")) for _ in range(3)]
    assert known == unknown
    assert [m[0]["response"] for _, m in known] == [
        "utter_verification_failed", "utter_verification_failed", "utter_verification_locked"]
    assert [m[0].get("tries") for _, m in known[:2]] == ["2 more times", "1 more time"]
    assert known[2][0][-2:] == [SlotSet("verification_blocked", "locked"),
                                SlotSet("requested_slot", None)]


async def test_strangers_on_the_web_never_lock_the_patients_own_number(
        seeded: Session, backoffice: Callable[[], BackOfficeClient]) -> None:
    form = ValidateVerifyForm(backoffice)
    # Many strangers, many addresses, many conversations: enough to stop web checks for James.
    for n in range(12):
        await run(form, web_try(f"web:stranger{n}", "James Carter", "10001",
                                ip=f"192.0.2.{n}"))
    own = make_tracker(sender="sms:+15555550102", extracted={"dob": "11/02/1975"},
                       requested_slot="dob")
    events, messages = await run(form, own)
    assert SlotSet("verified", True) in events
    assert [m["response"] for m in messages] == ["utter_verified"]


def patient_id(session: Session, first_name: str) -> int:
    found = session.scalar(select(Patient.id).where(Patient.first_name == first_name))
    assert found is not None
    return found


def late_try(sender: str, name: str, dob: str, zip_code: str, ip: str) -> Any:
    return make_tracker(sender=sender, requested_slot="zip_code",
                        slots={"full_name": name, "dob": dob}, extracted={"zip_code": zip_code},
                        metadata={"channel": "web", "ip": ip})


async def test_a_paused_record_is_told_so_whether_or_not_the_details_are_right(
        seeded: Session, backoffice: Callable[[], BackOfficeClient],
        redis_client: redis.Redis) -> None:
    form = ValidateVerifyForm(backoffice)
    for n in range(10):  # VERIFICATION_PATIENT_MAX_ATTEMPTS: web checks for James pause
        await run(form, web_try(f"web:s{n}", "James Carter", "10001", ip=f"192.0.2.{n}"))
    right = await run(form, late_try("web:late", "James Carter", "1975-11-02", "10001",
                                     "192.0.2.200"))
    wrong = await run(form, late_try("web:late2", "James Carter", WRONG_DOB, "10001",
                                     "192.0.2.201"))
    # James, typing his right details from his own address, hears that web checks for this
    # record are paused and how to get help now, not "don't match"; a wrong date of birth
    # hears the same words, so they tell nothing about the details.
    assert right == wrong
    events, messages = right
    assert [(m["response"], m["minutes"]) for m in messages] == [
        ("utter_verification_record_paused", "15 minutes")]
    assert SlotSet("verification_blocked", "locked") in events
    assert SlotSet("verified", True) not in events
    words = response_text("utter_verification_record_paused")
    assert "paused" in words and "text us from the phone number we have on file" in words
    assert "(555) 555-0199" in words and "match" not in words
    # His tries were not spent: once the pause ends, his conversation still has all three.
    redis_client.delete(f"verify:lock:patient:{patient_id(seeded, 'James')}")
    events, messages = await run(form, late_try("web:late", "James Carter", WRONG_DOB,
                                                "10001", "192.0.2.200"))
    assert [(m["response"], m["tries"]) for m in messages] == [
        ("utter_verification_failed", "2 more times")]


async def test_an_unknown_name_is_paused_alike(
        seeded: Session, backoffice: Callable[[], BackOfficeClient]) -> None:
    form = ValidateVerifyForm(backoffice)
    for name in ("James Carter", "Nobody Known"):
        for n in range(10):
            await run(form, web_try(f"web:{name[0]}{n}", name, "10001", ip=f"192.0.2.{n}"))
    known = await run(form, late_try("web:k", "James Carter", WRONG_DOB, "10001", "192.0.2.90"))
    unknown = await run(form, late_try("web:u", "Nobody Known", WRONG_DOB, "10001",
                                       "192.0.2.91"))
    assert known == unknown
    assert known[1][0]["response"] == "utter_verification_record_paused"


# Pub/sub ignores Redis db numbers, so a run on each database at once (two workers) would
# hear each other's alert: one database is enough for the alert (the pause is tested on both).
@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
async def test_the_desk_is_alerted_once_per_pause(
        seeded: Session, backoffice: Callable[[], BackOfficeClient],
        redis_client: redis.Redis) -> None:
    listener = redis_client.pubsub()
    listener.subscribe(in_db(redis_client, DESK_CHANNEL))
    form = ValidateVerifyForm(backoffice)

    def alerts() -> list[dict[str, Any]]:
        found = []
        while (message := listener.get_message(timeout=0.5)) is not None:
            if message["type"] == "message":
                found.append(json.loads(message["data"]))
        return [e for e in found if e["type"] == "verification_paused"
                and "Maria" in e["patient"]]

    for n in range(14):  # the tenth pauses the record; the next four are told it is paused
        await run(form, web_try(f"web:a{n}", "Maria Lopez", "02139", ip=f"192.0.2.{n}"))
    assert alerts() == [{"type": "verification_paused", "audience": "supervisors",
                         "team": "general", "minutes": 15,
                         "patient": "Maria Lopez (MRN MRN100101)"}]
    for n in range(10):  # an unknown name pauses alike, and alerts nobody
        await run(form, web_try(f"web:b{n}", "Nobody Known", "02139", ip=f"192.0.2.{n}"))
    assert alerts() == []
    assert (await run(form, web_try("web:b10", "Nobody Known", "02139", ip="192.0.2.99"))
            )[1][0]["response"] == "utter_verification_record_paused"
    # The pause over, a new attack is a new alert.
    redis_client.delete(f"verify:lock:patient:{patient_id(seeded, 'Maria')}")
    for n in range(10):
        await run(form, web_try(f"web:c{n}", "Maria Lopez", "02139", ip=f"192.0.2.{50 + n}"))
    assert len(alerts()) == 1
    listener.close()


async def test_one_address_is_paused_across_new_conversations(
        seeded: Session, backoffice: Callable[[], BackOfficeClient]) -> None:
    form = ValidateVerifyForm(backoffice)
    answers = [(await run(form, web_try(f"web:new{n}", "Nobody Known", "99999")))[1][0]
               for n in range(6)]
    # Two conversations of 2 tries, then the fifth try from that address pauses it.
    assert [a["response"] for a in answers] == ["utter_verification_failed"] * 4 + [
        "utter_verification_locked"] * 2
    # Another address is not affected.
    _, other = await run(form, web_try("web:elsewhere", "Nobody Known", "99999",
                                       ip="203.0.113.99"))
    assert other[0]["tries"] == "2 more times"


async def test_the_paused_person_is_told_the_real_time_left(
        seeded: Session, backoffice: Callable[[], BackOfficeClient],
        redis_client: redis.Redis) -> None:
    form = ValidateVerifyForm(backoffice)
    for _ in range(3):
        await run(form, web_try("web:paused", "Nobody Known", "99999"))
    # Eleven minutes pass.
    for key in redis_client.keys("verify:lock:*"):
        redis_client.expire(key, 4 * 60 - 5)
    events, messages = await run(form, web_try("web:paused", "Nobody Known", "99999"))
    assert [(m["response"], m["minutes"]) for m in messages] == [
        ("utter_verification_locked", "4 minutes")]
    assert SlotSet("verification_blocked", "locked") in events
    assert "paused identity checks for {minutes} because" in response_text(
        "utter_verification_locked")


def test_minutes_round_up() -> None:
    assert [minutes(s) for s in (0, 1, 59, 60, 61, 235, 900)] == [
        "1 minute", "1 minute", "1 minute", "1 minute", "2 minutes", "4 minutes", "15 minutes"]


def test_minutes_and_tries_in_spanish() -> None:
    assert [minutes(s, "es") for s in (0, 61, 900)] == ["1 minuto", "2 minutos", "15 minutos"]
    assert [tries(n, "es") for n in (1, 2)] == ["1 vez más", "2 veces más"]
