"""Billing answers, given only to a verified patient."""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.interfaces import Action
from rasa_sdk.types import DomainDict

from actions.auth import refuse_unverified, verified_patient
from actions.backoffice_client import BackOfficeClient, BackOfficeError, default_client
from actions.common import clinic_today, money, say_date
from bot.backoffice.schemas import Balance

log = logging.getLogger(__name__)


def charge_lines(balance: Balance) -> str:
    today = clinic_today()
    lines = []
    for charge in balance.charges:
        insurance = (f" (insurance paid {money(charge.insurance_paid_cents)})"
                     if charge.insurance_paid_cents else "")
        lines.append(f"• {say_date(charge.service_date, today)}, {charge.description}: "
                     f"{money(charge.patient_cents)}{insurance}")
    return "\n".join(lines)


class ActionTellBalance(Action):
    def __init__(self, client_factory: Callable[[], BackOfficeClient] = default_client) -> None:
        self.client_factory = client_factory

    def name(self) -> str:
        return "action_tell_balance"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[dict[str, Any]]:
        patient_id = verified_patient(tracker)
        if patient_id is None:
            return refuse_unverified(dispatcher, tracker)
        try:
            balance = await self.client_factory().balance(patient_id)
        except BackOfficeError as exc:
            log.error("balance lookup failed: %s", exc)
            dispatcher.utter_message(response="utter_backoffice_down")
            return []
        if balance.amount_cents == 0:
            dispatcher.utter_message(response="utter_balance_zero")
            return []
        due = say_date(balance.due_date) if balance.due_date else "now"
        dispatcher.utter_message(
            response="utter_balance_overdue" if balance.overdue else "utter_balance",
            amount=money(balance.amount_cents), due_date=due, charges=charge_lines(balance),
        )
        return []
