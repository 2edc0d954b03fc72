from rasa_sdk.events import SlotSet
from rasa_sdk.executor import CollectingDispatcher
from sqlalchemy import select
from sqlalchemy.orm import Session

from actions.billing import ActionTellBalance
from bot.backoffice.models import Patient
from tests.actions.conftest import DOMAIN, make_tracker


def patient(db: Session, last_name: str) -> str:
    return str(db.scalars(select(Patient.id).where(Patient.last_name == last_name)).one())


async def test_balance_with_charges(seeded: Session, backoffice) -> None:
    dispatcher = CollectingDispatcher()
    tracker = make_tracker(slots={"verified": True, "patient_id": patient(seeded, "Lopez")})
    assert await ActionTellBalance(backoffice).run(dispatcher, tracker, DOMAIN) == []
    [message] = dispatcher.messages
    assert message["response"] == "utter_balance"
    assert message["amount"] == "$125.40"
    lines = message["charges"].split("\n")
    assert len(lines) == 2
    assert lines[0].endswith("Office visit copay: $40.00 (insurance paid $110.00)")
    assert lines[1].endswith("Lab work: $85.40 (insurance paid $124.60)")


async def test_zero_and_overdue(seeded: Session, backoffice) -> None:
    zero, overdue = CollectingDispatcher(), CollectingDispatcher()
    await ActionTellBalance(backoffice).run(
        zero, make_tracker(slots={"verified": True, "patient_id": patient(seeded, "Carter")}),
        DOMAIN)
    await ActionTellBalance(backoffice).run(
        overdue, make_tracker(slots={"verified": True, "patient_id": patient(seeded, "Khan")}),
        DOMAIN)
    assert [m["response"] for m in zero.messages] == ["utter_balance_zero"]
    assert overdue.messages[0]["response"] == "utter_balance_overdue"
    assert overdue.messages[0]["amount"] == "$310.00"


async def test_nothing_is_told_before_verification(seeded: Session, backoffice) -> None:
    dispatcher = CollectingDispatcher()
    tracker = make_tracker(slots={"verified": False, "patient_id": patient(seeded, "Lopez")})
    assert await ActionTellBalance(backoffice).run(dispatcher, tracker, DOMAIN) == []
    assert dispatcher.messages[0]["response"] == "utter_not_verified"
    assert "amount" not in dispatcher.messages[0]


async def test_locked_offers_an_agent_and_clears_the_stop(seeded: Session, backoffice) -> None:
    dispatcher = CollectingDispatcher()
    tracker = make_tracker(slots={"verification_blocked": "locked"})
    events = await ActionTellBalance(backoffice).run(dispatcher, tracker, DOMAIN)
    assert events == [SlotSet("verification_blocked", None)]
    assert [m["response"] for m in dispatcher.messages] == ["utter_verification_locked"]


async def test_back_office_down_is_an_apology(seeded: Session, backoffice_down) -> None:
    dispatcher = CollectingDispatcher()
    tracker = make_tracker(slots={"verified": True, "patient_id": "1"})
    assert await ActionTellBalance(backoffice_down).run(dispatcher, tracker, DOMAIN) == []
    assert [m["response"] for m in dispatcher.messages] == ["utter_backoffice_down"]
