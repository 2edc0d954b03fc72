"""What the engine understood in the turn just taken: read from its tracker store (read-only).

The REST channel answers only the bot's messages; the intent, its confidence, whether the
fallback answered, whether verification succeeded and what the turn did about an emergency
(the responses it gave) are in the tracker the engine saved before it answered. One indexed
query per turn reads the turn's events: the user event with the message id the bot service
sent it under (recording runs a moment after the turn, when the patient may have sent the
next message already) and what followed it.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

from sqlalchemy import ColumnElement, Engine, and_, case, create_engine, make_url, select

from bot.db import normalize_url, postgres_connect_args
from bot.tracker_store import EVENTS

FALLBACK_ACTIONS = frozenset({"action_fallback", "action_default_fallback"})
OUT_OF_SCOPE = "out_of_scope"
# The responses that say what became of an emergency (actions/safety.py): the classifier alone
# thought it one and asked; the patient said no (or anything but yes); 911 was given.
SAFETY_CHECK, SAFETY_CLEAR, EMERGENCY = ("utter_safety_check", "utter_safety_check_clear",
                                         "utter_emergency")
SAFETY_RESPONSES = (SAFETY_CLEAR, SAFETY_CHECK, EMERGENCY)
# Enough for the turn recorded and the one or two the patient may have sent since.
TURN_EVENTS = 150


@dataclass
class TurnParse:
    intent: str | None = None
    confidence: float | None = None
    # For a fallback, the best guess behind it (second in the ranking).
    guess: str | None = None
    fallback: bool = False
    verified: bool = False
    patient_id: int | None = None
    actions: list[str] = field(default_factory=list)
    # The conversation's language for this turn (the bot service's, sent with the message;
    # a verification that set it from the record, after).
    language: str | None = None
    # What the turn did about an emergency, if anything (`safety_of`).
    safety: str | None = None


@lru_cache(maxsize=4)
def _engine(url: str) -> Engine | None:
    location = make_url(normalize_url(url))
    if location.get_backend_name() == "sqlite":
        path = Path(location.database or "")
        if not path.is_file():
            return None
        location = location.set(database=f"file:{path.resolve()}",
                                query={"mode": "ro", "uri": "true"})
        return create_engine(location)
    # PostgreSQL (the cluster): a hung database fails the read within seconds (bot.db).
    return create_engine(location, pool_pre_ping=True, connect_args=postgres_connect_args())


def engine_for(url: str) -> Engine | None:
    engine = _engine(url)
    if engine is None:
        _engine.cache_clear()  # the engine may write the file later: look again next time
    return engine


def _is_user(event: dict[str, Any], message_id: str | None) -> bool:
    return event.get("event") == "user" and (
        message_id is None or (event.get("metadata") or {}).get("message_id") == message_id)


def parse_turn(events: list[dict[str, Any]], message_id: str | None = None) -> TurnParse | None:
    """A user turn of events (oldest first), as recorded by Rasa: the one sent with
    `message_id`, else the last. None when there is no such turn (the engine never took it)."""
    start = next((i for i in range(len(events) - 1, -1, -1)
                  if _is_user(events[i], message_id)), None)
    if start is None:
        return None
    user = events[start]
    parse = user.get("parse_data") or {}
    intent = parse.get("intent") or {}
    result = TurnParse(intent=intent.get("name"), confidence=_float(intent.get("confidence")))
    said_in = (user.get("metadata") or {}).get("language")
    result.language = str(said_in) if isinstance(said_in, str) and said_in else None
    ranking = [r for r in parse.get("intent_ranking") or [] if isinstance(r, dict)]
    if result.intent == "nlu_fallback":
        result.fallback = True
        result.guess = next((str(r.get("name")) for r in ranking
                             if r.get("name") not in (None, "nlu_fallback")), None)
    said: list[str] = []
    for event in events[start + 1:]:
        kind = event.get("event")
        if kind == "user":  # the patient's next message: this turn ended before it
            break
        if kind == "bot" and (event.get("metadata") or {}).get("utter_action"):
            said.append(str(event["metadata"]["utter_action"]))
        elif kind == "action" and event.get("name"):
            name = str(event["name"])
            result.actions.append(name)
            result.fallback = result.fallback or name in FALLBACK_ACTIONS
        elif kind == "slot" and event.get("name") == "verified" and event.get("value"):
            result.verified = True
        elif kind == "slot" and event.get("name") == "language" and event.get("value"):
            result.language = str(event["value"])
        elif kind == "slot" and event.get("name") == "patient_id" and event.get("value"):
            try:
                result.patient_id = int(event["value"])
            except (TypeError, ValueError):
                pass
    result.safety = safety_of(said, _answering_check(events[:start]))
    return result


def _answering_check(before: list[dict[str, Any]]) -> bool:
    """Whether the bot's last words before the turn were the safety check."""
    for event in reversed(before):
        if event.get("event") == "user":
            return False
        if event.get("event") == "bot":
            return (event.get("metadata") or {}).get("utter_action") == SAFETY_CHECK
    return False


def safety_of(said: list[str], answering_check: bool) -> str | None:
    """"check": the classifier alone thought it an emergency and the safety check was asked;
    "false_alarm": the check was answered no (or anything but yes); "confirmed": answered yes,
    911 given; "safety_net": 911 given at once, the rule-based safety net having matched (only
    it, or a yes to the check, gets 911). None: the turn was no emergency."""
    if SAFETY_CHECK in said:
        return "check"
    if SAFETY_CLEAR in said:
        return "false_alarm"
    if EMERGENCY in said:
        return "confirmed" if answering_check else "safety_net"
    return None


def _float(value: Any) -> float | None:
    try:
        return float(value) if value is not None else None
    except (TypeError, ValueError):
        return None


def _event(type_name: str, action_name: str | None, raw: str | None, message_id: str | None,
           said: str | None = None) -> dict[str, Any] | None:
    """A row as the event parse_turn reads, decoding its JSON only when the turn needs it: an
    action by its name column, a user event only if it is the one looked for, a bot event by
    the safety response the database found in it (its data, the largest, is never read)."""
    if type_name == "action":
        return {"event": "action", "name": action_name}
    if type_name == "bot":
        return {"event": "bot", "metadata": {"utter_action": said}}
    if type_name == "user" and message_id is not None and message_id not in (raw or ""):
        return {"event": "user"}  # another turn: only its boundary matters
    if type_name not in ("user", "slot"):
        return None
    try:
        data = json.loads(raw or "{}")
    except ValueError:
        return None
    return data if isinstance(data, dict) else None


def _said() -> ColumnElement[Any]:
    """A bot event's safety response, found by the database in its JSON (quoted, so the check
    is not taken for the check's "clear"), so the JSON itself never comes back."""
    bot = EVENTS.c.type_name == "bot"
    return case(*((and_(bot, EVENTS.c.data.contains(f'"{name}"', autoescape=True)), name)
                  for name in SAFETY_RESPONSES), else_=None).label("said")


def read_turn(url: str, sender: str, message_id: str | None = None) -> TurnParse | None:
    """None when there is no tracker store (unit tests, a Redis tracker store) or the turn is
    not in it."""
    engine = engine_for(url)
    if engine is None:
        return None
    wanted = EVENTS.c.type_name.in_(["user", "slot"])
    with engine.connect() as conn:
        rows = conn.execute(
            select(EVENTS.c.type_name, EVENTS.c.action_name,
                   case((wanted, EVENTS.c.data), else_=None).label("data"), _said())
            .where(EVENTS.c.sender_id == sender)
            .order_by(EVENTS.c.id.desc()).limit(TURN_EVENTS)
        ).all()
    events = [e for row in reversed(rows)
              if (e := _event(row.type_name, row.action_name, row.data, message_id, row.said))]
    return parse_turn(events, message_id)
