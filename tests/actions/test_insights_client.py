"""The action server's task reports: the typed client's request, and `report_task` sending in
the background without the action waiting, failures only logged."""

from __future__ import annotations

import asyncio
import json

import httpx
import pytest
from rasa_sdk import Tracker

from actions.insights_client import InsightsClient, report_task, task_outcome
from bot.insights.enums import Task


def tracker(verified: bool = True) -> Tracker:
    slots = {"verified": verified, "patient_id": "4"}
    return Tracker("sms:+15555550101", slots, {"intent": {"name": "billing_balance"}}, [], False,
                   None, {}, "action_listen")


def test_outcome_of_a_verified_and_an_unverified_patient() -> None:
    assert task_outcome(tracker(), Task.balance_told).model_dump() == {
        "conversation_id": "sms:+15555550101", "task": Task.balance_told, "ok": True,
        "intent": "billing_balance", "patient_id": 4}
    assert task_outcome(tracker(verified=False), Task.balance_told).patient_id is None


async def test_report_is_sent_in_the_background() -> None:
    seen: list[httpx.Request] = []
    release = asyncio.Event()

    async def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        await release.wait()  # the server is slow: the action must not wait for it
        return httpx.Response(202, json={"episode_id": 9})

    client = InsightsClient("http://bot.test", "secret", transport=httpx.MockTransport(handler))
    job = report_task(tracker(), Task.refill_filed, client_factory=lambda: client)
    assert job is not None and not job.done()
    await asyncio.sleep(0.01)
    release.set()
    await job
    assert len(seen) == 1
    assert seen[0].url == "http://bot.test/api/insights/tasks"
    assert seen[0].headers["Authorization"] == "Bearer secret"
    assert json.loads(seen[0].content)["task"] == "refill_filed"


async def test_a_failed_report_is_only_logged(caplog: pytest.LogCaptureFixture) -> None:
    client = InsightsClient("http://bot.test", "secret",
                            transport=httpx.MockTransport(lambda r: httpx.Response(503)))
    job = report_task(tracker(), Task.balance_told, client_factory=lambda: client)
    assert job is not None
    await job  # does not raise
    assert "task report not recorded" in caplog.text


def test_outside_an_event_loop_nothing_is_sent() -> None:
    assert report_task(tracker(), Task.balance_told) is None
