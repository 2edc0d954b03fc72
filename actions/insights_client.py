"""The bot service's insights API, as the action server sees it: an action that finished a
request for the patient says so in one line (`report_task(tracker, Task.balance_told)`).

Off the turn's critical path: the report is sent in the background on the action server's
event loop (the reply does not wait for it), with a short timeout, and a failure is only
logged. Same host and token as the back office, its own endpoint.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable

import httpx
from rasa_sdk import Tracker

from actions.backoffice_client import BackOfficeClient, BackOfficeError
from actions.settings import get_action_settings
from bot.insights.enums import Task
from bot.insights.schemas import Recorded, TaskOutcome

log = logging.getLogger(__name__)
REPORT_TIMEOUT_SECONDS = 2.0
# Reports in flight: kept referenced so the event loop does not drop them half-way.
_in_flight: set[asyncio.Task[None]] = set()


class InsightsClient(BackOfficeClient):
    def __init__(self, base_url: str, token: str, timeout: float = REPORT_TIMEOUT_SECONDS,
                 transport: httpx.AsyncBaseTransport | None = None) -> None:
        super().__init__(base_url, token, timeout, transport)
        self.base_url = base_url.rstrip("/") + "/api"

    async def report_task(self, outcome: TaskOutcome) -> Recorded:
        return await self._call(Recorded, "POST", "/insights/tasks",
                                json=outcome.model_dump(mode="json"))


def default_insights_client() -> InsightsClient:
    settings = get_action_settings()
    return InsightsClient(settings.backoffice_url, settings.backoffice_token)


def task_outcome(tracker: Tracker, task: Task, ok: bool = True) -> TaskOutcome:
    patient_id = tracker.get_slot("patient_id") if tracker.get_slot("verified") else None
    try:
        patient = int(patient_id) if patient_id else None
    except (TypeError, ValueError):
        patient = None
    intent = (tracker.latest_message.get("intent") or {}).get("name")
    return TaskOutcome(conversation_id=tracker.sender_id, task=task, ok=ok,
                       intent=str(intent) if intent else None, patient_id=patient)


async def _send(client: InsightsClient, outcome: TaskOutcome) -> None:
    try:
        await client.report_task(outcome)
    except BackOfficeError as exc:
        log.warning("insights: task report not recorded: %s", exc)
    except Exception:  # a report is never worth a crash, even in the background
        log.exception("insights: task report not recorded")


def report_task(tracker: Tracker, task: Task, ok: bool = True,
                client_factory: Callable[[], InsightsClient] = default_insights_client
                ) -> asyncio.Task[None] | None:
    """Schedules the report and returns at once. None outside an event loop, or when the
    report cannot even be built (a conversation named unlike the bot service's, settings
    missing): the patient's turn never fails because of a report."""
    try:
        loop = asyncio.get_running_loop()
    except RuntimeError:
        return None
    try:
        outcome = task_outcome(tracker, task, ok)
        client = client_factory()
    except Exception:
        log.exception("insights: task report not sent")
        return None
    job = loop.create_task(_send(client, outcome))
    _in_flight.add(job)
    job.add_done_callback(_in_flight.discard)
    return job
