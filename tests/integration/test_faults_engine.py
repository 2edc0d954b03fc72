"""Faults: the engine or the action server hangs (SIGSTOP), then resumes (SIGCONT).

Web chat: the patient is told something within seconds (the apology after
ENGINE_WEB_TIMEOUT_SECONDS), never answered twice, and the chat works again after the resume.
SMS: the text waits for the engine and is answered once after the resume.
"""

from __future__ import annotations

import os
import signal
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.support.stack import Stack, running_stack

pytestmark = pytest.mark.integration

APOLOGY = "having trouble right now"


def tree(pid: int) -> list[int]:
    """The process and its children (the action server runs Sanic workers)."""
    found, todo = [], [pid]
    while todo:
        current = todo.pop()
        found.append(current)
        for task in Path(f"/proc/{current}/task").glob("*"):
            children = task / "children"
            if children.exists():
                todo.extend(int(c) for c in children.read_text().split())
    return found


class Paused:
    def __init__(self, stack: Stack, name: str) -> None:
        self.pids = tree(stack.processes[name].pid)

    def __enter__(self) -> Paused:
        for pid in self.pids:
            os.kill(pid, signal.SIGSTOP)
        return self

    def __exit__(self, *exc: object) -> None:
        for pid in self.pids:
            os.kill(pid, signal.SIGCONT)


@pytest.fixture(scope="module")
def stack() -> Iterator[Stack]:
    with running_stack(redis_url="redis://127.0.0.1:6379/5", extra_env={
            "ENGINE_WEB_TIMEOUT_SECONDS": "4"}) as running:
        yield running


def verified_web(stack: Stack) -> str:
    token = stack.web_session()
    for text in ("how much do I owe", "Maria Lopez", "03/12/1984"):
        stack.web_turn(token, text)
    assert "$125.40" in " ".join(str(m["text"]) for m in stack.web_turn(token, "02139"))
    return token


@pytest.mark.parametrize("process", ["engine", "actions"])
def test_a_hung_process_gets_the_web_patient_an_apology_within_seconds_once(
        stack: Stack, process: str) -> None:
    token = verified_web(stack)
    with Paused(stack, process):
        started = time.monotonic()
        replies = stack.web_turn(token, "when is my next appointment")
        waited = time.monotonic() - started
    assert waited < 10
    assert len(replies) == 1 and APOLOGY in str(replies[0]["text"])
    # After the resume the chat answers again, and the paused turn's answer never shows up
    # as a second reply to the next message.
    time.sleep(1)
    after = stack.web_turn(token, "what's my balance")
    texts = " ".join(str(m["text"]) for m in after)
    assert "$125.40" in texts and "Dr. Priya Shah" not in texts


def test_an_sms_waits_for_the_hung_engine_and_is_answered_once(stack: Stack) -> None:
    phone = "+15555550102"
    before = len(stack.outbox(phone))
    with Paused(stack, "engine"):
        assert stack.send_sms(phone, "hi", f"SM{'f' * 30}01").status_code == 200
        time.sleep(6)  # longer than the web timeout: SMS waits ENGINE_TIMEOUT_SECONDS
        assert len(stack.outbox(phone)) == before
    replies = stack.outbox_after(phone, before, timeout=30)
    assert replies and APOLOGY not in replies[0]
    time.sleep(3)
    assert len(stack.outbox(phone)) == before + len(replies)  # answered once
