"""The turns that went wrong in real conversations, for the designers who fix them.

Read from the engine's SQL tracker store (read-only, bounded by a window and a limit), never
shown raw: every text is redacted with the conversation's own identifiers as `known` (the
slot values the engine kept for it), and what a patient typed while the form asked for their
name, date of birth or ZIP is replaced by a placeholder. Conversations are named by a keyed
hash of the sender id. A turn becomes a ready-to-commit NLU example; a conversation a test
story in the shape of `tests/conversations/`. Nothing here writes a file: callers get text.
"""

from __future__ import annotations

import difflib
import hashlib
import hmac
import json
import re
from collections.abc import Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import yaml
from sqlalchemy import Connection, create_engine, func, inspect, make_url, select
from sqlalchemy.orm import Session

from bot.audit import service as audit
from bot.db import normalize_url, postgres_connect_args
from bot.privacy.redaction import redact
from bot.responses import DOMAIN_FILE
from bot.review.schemas import ReviewTurn, TurnKind
from bot.settings import Settings
from bot.tracker_store import EVENTS, tracker_url

DEFAULT_SINCE = timedelta(days=7)
DEFAULT_LIMIT = 100
MAX_LIMIT = 500

FALLBACK_INTENT = "nlu_fallback"
FALLBACK_ACTIONS = frozenset({"action_default_fallback", "action_fallback",
                              "action_two_stage_fallback"})
HANDOFF_ACTION = "action_handoff"
OUT_OF_SCOPE_INTENT = "out_of_scope"
# The classifier alone thought it an emergency and asked; the patient said it was not.
SAFETY_CHECK, SAFETY_CLEAR = "utter_safety_check", "utter_safety_check_clear"
# Intents a designer never labels a patient's words with: events and outreach replies.
INTERNAL_INTENT_PREFIXES = ("EXTERNAL_", "outreach_")
# A handoff in the fallback's own turn or the next two counts as giving up on the bot.
HANDOFF_WITHIN_TURNS = 2
# Rasa's bookkeeping, never written in a story.
UNSTORIED_ACTIONS = frozenset({"action_listen", "action_session_start", "action_unlikely_intent"})

# What the patient typed while the form asked for one of these is an identifier, whatever
# the classifier thought: it is never shown, only named.
FORM_PLACEHOLDERS = {"full_name": "[FULL NAME]", "dob": "[DATE OF BIRTH]",
                     "zip_code": "[ZIP CODE]"}
# Slots whose values identify the patient: passed to the redactor, never written in a story.
IDENTIFYING_SLOTS = ("full_name", "dob", "zip_code", "patient_id")

# Two messages in a row this alike are the patient saying it again. Short ones ("yes", "no
# thanks") count only after a turn that went wrong: said twice they are often two answers.
SIMILAR_RATIO = 0.8
SIMILAR_OVERLAP = 0.6
SIMILAR_MIN_WORDS = 3

# Events the review reads; the rest (featurization, rejections, followups) say nothing to it.
_READ_TYPES = ("user", "bot", "action", "slot", "active_loop", "session_started")
_SENDER_BATCH = 50
_PAYLOAD = re.compile(r"^/(?P<intent>[\w-]+)(?P<entities>\{.*\})?$", re.DOTALL)
# The redactor leaves amounts, counts and references; the review shows no number longer
# than a digit (a single digit is an SMS choice, "2").
_NUMBER = re.compile(r"\d+(?:[.,:/-]\d+)*")
_INTENT_NAME = re.compile(r"^[A-Za-z][\w-]*$")
_BARE = re.compile(r"[A-Za-z_][A-Za-z0-9_-]*")
_YAML_WORDS = frozenset({"true", "false", "null", "yes", "no", "on", "off", "y", "n"})


class ReviewNotConfigured(RuntimeError):
    """No key to name conversations with: REVIEW_SALT and ENGINE_TOKEN are both empty."""


class TurnNotFound(LookupError):
    """No listed turn has that id."""


class ConversationNotFound(LookupError):
    """No conversation in the tracker store has that reference."""


@dataclass(frozen=True)
class TrackerEvent:
    """One row of the events table: its id and the event's JSON."""

    id: int
    sender_id: str
    timestamp: float
    data: dict[str, Any]

    @property
    def kind(self) -> str:
        return str(self.data.get("event") or "")


@dataclass(frozen=True)
class Review:
    """A read-only view of the tracker store and the review's settings; `conn` is None when
    the engine has written no tracker store yet (everything reads as empty)."""

    conn: Connection | None
    key: bytes
    low_confidence: float = 0.6


@dataclass
class _Turn:
    """A patient message the engine parsed, with what the bot did until the next one."""

    event: TrackerEvent
    session: int
    asked_for: str | None  # the form's requested_slot when it was typed
    actions: list[str] = field(default_factory=list)
    replies: list[str] = field(default_factory=list)
    # The responses the replies were made from (their `utter_action`).
    utterances: list[str] = field(default_factory=list)
    kinds: list[TurnKind] = field(default_factory=list)

    @property
    def text(self) -> str:
        return " ".join(str(self.event.data.get("text") or "").split())

    @property
    def parse(self) -> dict[str, Any]:
        return dict(self.event.data.get("parse_data") or {})

    @property
    def intent(self) -> str | None:
        name = (self.parse.get("intent") or {}).get("name")
        return str(name) if name else None

    @property
    def confidence(self) -> float | None:
        value = (self.parse.get("intent") or {}).get("confidence")
        return float(value) if isinstance(value, int | float) else None

    @property
    def guess(self) -> tuple[str | None, float | None]:
        """The best intent that is not the fallback (the ranking's first real one)."""
        for item in self.parse.get("intent_ranking") or []:
            if isinstance(item, dict) and item.get("name") not in (None, FALLBACK_INTENT):
                confidence = item.get("confidence")
                return (str(item["name"]),
                        float(confidence) if isinstance(confidence, int | float) else None)
        return None, None

    @property
    def payload(self) -> bool:
        return bool(_PAYLOAD.match(self.text))

    @property
    def fell_back(self) -> bool:
        return self.intent == FALLBACK_INTENT or any(a in FALLBACK_ACTIONS for a in self.actions)


# --------------------------------------------------------------------------- opening


def conversation_key(settings: Settings) -> bytes:
    """The key of the conversation references: REVIEW_SALT, else one derived from
    ENGINE_TOKEN (a random secret every deployment has), so a phone number cannot be
    recovered by hashing every number."""
    if settings.review_salt:
        return settings.review_salt.encode()
    if settings.engine_token:
        return hmac.new(settings.engine_token.encode(), b"bot.review conversation reference",
                        hashlib.sha256).digest()
    raise ReviewNotConfigured("set REVIEW_SALT (or ENGINE_TOKEN) to name conversations")


def conversation_ref(sender_id: str, key: bytes) -> str:
    return "c" + hmac.new(key, sender_id.encode(), hashlib.sha256).hexdigest()[:20]


@contextmanager
def open_tracker(url: str) -> Iterator[Connection | None]:
    """A read-only connection to the tracker store; None when there is none yet (a missing
    SQLite file is not created, as `bot.retention` does not either)."""
    location = make_url(normalize_url(url))
    options: dict[str, Any] = {}
    connect_args: dict[str, Any] = {}
    if location.get_backend_name() == "sqlite":
        path = Path(location.database or "")
        if not path.is_file():
            yield None
            return
        location = location.set(database=f"file:{path.resolve()}",
                                query={"mode": "ro", "uri": "true"})
    elif location.get_backend_name() == "postgresql":
        options["postgresql_readonly"] = True
        # A desk request: a hung tracker database must not hold its worker thread.
        connect_args = postgres_connect_args()
    engine = create_engine(location, connect_args=connect_args)
    try:
        with engine.connect() as conn:
            conn = conn.execution_options(**options) if options else conn
            yield conn if inspect(conn).has_table("events") else None
    finally:
        engine.dispose()


@contextmanager
def open_review(settings: Settings) -> Iterator[Review]:
    """The review over the tracker store the settings name (ENGINE_TRACKER_DB)."""
    key = conversation_key(settings)
    with open_tracker(tracker_url(settings)) as conn:
        yield Review(conn=conn, key=key, low_confidence=settings.review_low_confidence)


# --------------------------------------------------------------------------- reading


def _events(conn: Connection, senders: Sequence[str]) -> dict[str, list[TrackerEvent]]:
    """Every event the review reads of these conversations, oldest first, by sender."""
    rows = conn.execute(
        select(EVENTS.c.id, EVENTS.c.sender_id, EVENTS.c.timestamp, EVENTS.c.data)
        .where(EVENTS.c.sender_id.in_(senders), EVENTS.c.type_name.in_(_READ_TYPES))
        .order_by(EVENTS.c.id)
    ).all()
    by_sender: dict[str, list[TrackerEvent]] = {sender: [] for sender in senders}
    for row in rows:
        try:
            data = json.loads(row.data or "{}")
        except ValueError:
            continue
        if isinstance(data, dict):
            by_sender[row.sender_id].append(
                TrackerEvent(row.id, row.sender_id, float(row.timestamp or 0), data))
    return by_sender


def _sender(review: Review, ref: str) -> str:
    """The sender id behind a reference: hashed, so each sender is tried (the tracker store
    holds only the retention period's conversations)."""
    if review.conn is not None:
        for (sender,) in review.conn.execute(select(EVENTS.c.sender_id).distinct()):
            if hmac.compare_digest(conversation_ref(sender, review.key), ref):
                return str(sender)
    raise ConversationNotFound(ref)


def conversation_events(review: Review, ref: str) -> list[TrackerEvent]:
    """The conversation's events, oldest first, as the engine stored them: unredacted, so for
    this service's own use only."""
    if review.conn is None:
        raise ConversationNotFound(ref)
    sender = _sender(review, ref)
    return _events(review.conn, [sender])[sender]


def audit_read(session: Session, *, actor_type: str, actor_id: str, action: str,
               patient_id: int | None, reason: str) -> None:
    """Redacted still comes from a patient's conversation: every read is in the audit log."""
    audit.record(session, actor_type=actor_type, actor_id=actor_id, patient_id=patient_id,
                 action=action, fields=["redacted_text"], reason=reason)
    session.commit()


def conversation_patient(events: Iterable[TrackerEvent]) -> int | None:
    """The verified patient of a conversation (its patient_id slot), for the audit log."""
    for event in events:
        if event.kind == "slot" and event.data.get("name") == "patient_id":
            try:
                return int(event.data.get("value"))  # type: ignore[arg-type]
            except (TypeError, ValueError):
                continue
    return None


# --------------------------------------------------------------------------- analysis


def _engine_turn(event: TrackerEvent) -> bool:
    """A message the engine parsed; not one the bot service appended while an agent had the
    conversation (`bot.conversations` marks those)."""
    return event.kind == "user" and not (event.data.get("metadata") or {}).get("during_handoff")


def _turns(events: Sequence[TrackerEvent]) -> list[_Turn]:
    """The conversation as turns: each patient message with the actions and replies after it."""
    turns: list[_Turn] = []
    current: _Turn | None = None
    session, asked_for = 0, None
    for event in events:
        if event.kind == "session_started":
            session, asked_for, current = session + 1, None, None
        elif event.kind == "slot" and event.data.get("name") == "requested_slot":
            asked_for = event.data.get("value")
        elif _engine_turn(event):
            current = _Turn(event=event, session=session, asked_for=asked_for)
            turns.append(current)
        elif current is None:
            continue
        elif event.kind == "action" and event.data.get("name"):
            current.actions.append(str(event.data["name"]))
        elif event.kind == "bot" and not (event.data.get("metadata") or {}).get("agent"):
            current.replies.append(str(event.data.get("text") or ""))
            said = (event.data.get("metadata") or {}).get("utter_action")
            if said:
                current.utterances.append(str(said))
    return turns


def _words(text: str) -> list[str]:
    return re.findall(r"\w+", text.lower())


def _similar(first: str, second: str) -> bool:
    a, b = _words(first), _words(second)
    if not a or not b:
        return False
    if difflib.SequenceMatcher(None, " ".join(a), " ".join(b)).ratio() >= SIMILAR_RATIO:
        return True
    return len(set(a) & set(b)) / len(set(a) | set(b)) >= SIMILAR_OVERLAP


def _is_repeat(previous: _Turn, turn: _Turn) -> bool:
    """The patient said it again: after a fallback with the same best guess, or in words
    alike (short ones only after a turn that went wrong)."""
    if any(t.payload or t.asked_for in FORM_PLACEHOLDERS for t in (previous, turn)):
        return False
    went_wrong = bool(previous.kinds)
    if previous.fell_back and turn.guess[0] is not None and previous.guess[0] == turn.guess[0]:
        return True
    long_enough = min(len(_words(previous.text)), len(_words(turn.text))) >= SIMILAR_MIN_WORDS
    return (went_wrong or long_enough) and _similar(previous.text, turn.text)


def _classify(turns: list[_Turn], low_confidence: float) -> None:
    """Sets each turn's kinds, in order: later rules look at earlier turns' kinds."""
    last_miss: int | None = None
    for index, turn in enumerate(turns):
        previous = turns[index - 1] if index and turns[index - 1].session == turn.session else None
        if previous is None:
            last_miss = None
        if turn.fell_back:
            turn.kinds.append(TurnKind.fallback)
        # A form answer is taken as typed whatever its intent: unsure is no miss there.
        elif (not turn.payload and turn.asked_for not in FORM_PLACEHOLDERS
              and turn.confidence is not None and turn.confidence < low_confidence):
            turn.kinds.append(TurnKind.low_confidence)
        if turn.intent == OUT_OF_SCOPE_INTENT and not turn.payload:
            turn.kinds.append(TurnKind.out_of_scope)
        if SAFETY_CHECK in turn.utterances:
            turn.kinds.append(TurnKind.safety_check)
        if SAFETY_CLEAR in turn.utterances:
            turn.kinds.append(TurnKind.false_alarm)
        if previous is not None and _is_repeat(previous, turn):
            turn.kinds.append(TurnKind.repeat)
        if turn.fell_back or {TurnKind.out_of_scope, TurnKind.safety_check} & set(turn.kinds):
            last_miss = index
        if (HANDOFF_ACTION in turn.actions and last_miss is not None
                and index - last_miss <= HANDOFF_WITHIN_TURNS):
            turn.kinds.append(TurnKind.handoff_after_fallback)


# --------------------------------------------------------------------------- redaction


def known_values(events: Iterable[TrackerEvent]) -> set[str]:
    """The conversation's own identifiers, for the redactor: every value its identifying
    slots held, a name's words (a first name alone; not "my", "is" of "my name is ..."), and
    an SMS sender's number."""
    from spacy.lang.en.stop_words import STOP_WORDS

    known: set[str] = set()
    for event in events:
        if event.sender_id.startswith("sms:"):
            known.add(event.sender_id.removeprefix("sms:"))
        if event.kind != "slot" or event.data.get("name") not in IDENTIFYING_SLOTS:
            continue
        value = " ".join(str(event.data.get("value") or "").split())
        if value:
            known.add(value)
        if event.data.get("name") == "full_name":
            known.update(word for word in re.findall(r"[^\W\d_][\w'-]+", value)
                         if word.lower() not in STOP_WORDS)
    return known


def redact_text(text: str, known: Iterable[str]) -> str:
    """Typed identifiers become placeholders, and so does any number of two digits or more."""
    return _NUMBER.sub(lambda m: m.group() if len(re.sub(r"\D", "", m.group())) < 2
                       else "[NUMBER]", redact(" ".join(text.split()), known))


def _redact_payload(text: str, known: set[str]) -> str:
    """A button's payload stays a payload (a story needs it), with its entity values kept
    only when they are our own short numeric ids; anything else is redacted."""
    match = _PAYLOAD.match(text)
    if match is None:
        return redact_text(text, known)
    if not match.group("entities"):
        return text
    try:
        entities = json.loads(match.group("entities"))
    except ValueError:
        return "/" + match.group("intent")
    if not isinstance(entities, dict):
        return "/" + match.group("intent")
    kept = {
        str(name): value if re.fullmatch(r"\d{1,10}", str(value)) and str(value) not in known
        else redact_text(str(value), known)
        for name, value in entities.items()
    }
    return "/" + match.group("intent") + json.dumps(kept, separators=(",", ":"))


def _shown(turn: _Turn, known: set[str]) -> str:
    if turn.payload:
        return _redact_payload(turn.text, known)
    if turn.asked_for in FORM_PLACEHOLDERS:
        return FORM_PLACEHOLDERS[str(turn.asked_for)]
    return redact_text(turn.text, known)


def _review_turn(turn: _Turn, ref: str, known: set[str]) -> ReviewTurn:
    guess_intent, guess_confidence = turn.guess
    sender = turn.event.sender_id
    return ReviewTurn(
        id=turn.event.id, ref=ref, channel=sender.split(":", 1)[0] if ":" in sender else "",
        at=datetime.fromtimestamp(turn.event.timestamp, UTC), kinds=list(turn.kinds),
        text=_shown(turn, known), intent=turn.intent, confidence=turn.confidence,
        guess_intent=guess_intent, guess_confidence=guess_confidence,
        reply=redact_text("\n".join(turn.replies), known), payload=turn.payload)


def _wrong_turns(review: Review, events: Sequence[TrackerEvent]) -> list[ReviewTurn]:
    if not events:
        return []
    turns = _turns(events)
    _classify(turns, review.low_confidence)
    ref = conversation_ref(events[0].sender_id, review.key)
    known = known_values(events)
    return [_review_turn(turn, ref, known) for turn in turns if turn.kinds]


# --------------------------------------------------------------------------- verbs


def find_turns(review: Review, *, since: timedelta = DEFAULT_SINCE, limit: int = DEFAULT_LIMIT,
               now: datetime | None = None) -> list[ReviewTurn]:
    """The wrong turns of the window, newest first. Conversations are read newest first, a
    batch at a time, and reading stops once no older conversation can make the list."""
    if review.conn is None:
        return []
    limit = max(1, min(limit, MAX_LIMIT))
    cutoff = ((now or datetime.now(UTC)) - since).timestamp()
    last = func.max(EVENTS.c.timestamp).label("last")
    senders = review.conn.execute(
        select(EVENTS.c.sender_id, last)
        .where(EVENTS.c.type_name == "user", EVENTS.c.timestamp >= cutoff)
        .group_by(EVENTS.c.sender_id)
        .order_by(last.desc(), EVENTS.c.sender_id)
    ).all()
    found: list[ReviewTurn] = []
    for start in range(0, len(senders), _SENDER_BATCH):
        batch = senders[start:start + _SENDER_BATCH]
        if len(found) >= limit and batch[0].last < found[limit - 1].at.timestamp():
            break
        for events in _events(review.conn, [row.sender_id for row in batch]).values():
            found += [t for t in _wrong_turns(review, events) if t.at.timestamp() >= cutoff]
        found.sort(key=lambda t: (t.at, t.id), reverse=True)
    return found[:limit]


def get_turn(review: Review, turn_id: int) -> ReviewTurn:
    """One listed turn by its id, whatever its age (the retention period bounds it)."""
    if review.conn is None:
        raise TurnNotFound(turn_id)
    sender = review.conn.scalar(
        select(EVENTS.c.sender_id).where(EVENTS.c.id == turn_id, EVENTS.c.type_name == "user"))
    if sender is None:
        raise TurnNotFound(turn_id)
    for turn in _wrong_turns(review, _events(review.conn, [sender])[sender]):
        if turn.id == turn_id:
            return turn
    raise TurnNotFound(turn_id)


def _check_intent(intent: str) -> str:
    if not _INTENT_NAME.match(intent):
        raise ValueError(f"not an intent name: {intent!r}")
    return intent


def nlu_example_yaml(turn: ReviewTurn, intent: str) -> str:
    """The turn's redacted words as a training example of `intent`, in Rasa 3.1 NLU YAML."""
    if turn.payload:
        raise ValueError("a button's payload is not the patient's wording")
    if not turn.text.strip():
        raise ValueError("the turn has no text")
    return (f'version: "3.1"\nnlu:\n- intent: {_check_intent(intent)}\n  examples: |\n'
            f"    - {turn.text}\n")


def _scalar(value: Any) -> str:
    """A YAML scalar as the hand-written stories have them: a name bare (`balance`), other
    text double-quoted as JSON quotes it (valid YAML), true/false/null and numbers as is."""
    if isinstance(value, str) and _BARE.fullmatch(value) and value.lower() not in _YAML_WORDS:
        return value
    return json.dumps(value, ensure_ascii=False)


def story_slots(domain_file: Path = DOMAIN_FILE) -> frozenset[str]:
    """The slots a story records: those that influence the conversation (Rasa's default is
    yes, except for type any) and requested_slot; never an identifying one."""
    slots = (_domain(domain_file).get("slots") or {})
    influencing = {
        str(name) for name, spec in slots.items() if isinstance(spec, dict)
        and spec.get("influence_conversation", spec.get("type") != "any")
    }
    return frozenset((influencing | {"requested_slot"}) - set(IDENTIFYING_SLOTS))


def domain_intents(domain_file: Path = DOMAIN_FILE) -> list[str]:
    """The domain's intents, in its order: what a designer may label a turn with."""
    names: list[str] = []
    for item in _domain(domain_file).get("intents") or []:
        names += [str(item)] if isinstance(item, str) else [str(k) for k in dict(item)]
    return [n for n in names if not n.startswith(INTERNAL_INTENT_PREFIXES)]


def _domain(domain_file: Path) -> dict[str, Any]:
    loaded = yaml.safe_load(domain_file.read_text(encoding="utf-8"))
    return loaded if isinstance(loaded, dict) else {}


def _story_lines(events: Sequence[TrackerEvent], known: set[str], fixes: Mapping[int, str],
                 slots: frozenset[str]) -> list[list[str]]:
    """Each session's steps as YAML lines (sessions without a patient message are left out)."""
    turns = {turn.event.id: turn for turn in _turns(events)}
    sessions: list[list[str]] = [[]]
    started = False
    for event in events:
        if event.kind == "session_started":
            sessions.append([])
            started = False
            continue
        steps = sessions[-1]
        turn = turns.get(event.id)
        if turn is not None:
            intent = turn.intent or FALLBACK_INTENT
            if event.id in fixes:
                steps.append(f"  # turn {event.id}: intent corrected from {intent}; "
                             "the steps after it are as recorded")
                intent = _check_intent(fixes[event.id])
            steps += [f"  - user: {_scalar(_shown(turn, known))}", f"    intent: {intent}"]
            started = True
        elif not started:
            continue  # the session's own bookkeeping, before the patient says anything
        elif event.kind == "action" and event.data.get("name") not in UNSTORIED_ACTIONS:
            steps.append(f"  - action: {event.data.get('name')}")
        elif event.kind == "slot" and event.data.get("name") in slots:
            value = event.data.get("value")
            value = redact_text(value, known) if isinstance(value, str) else value
            steps += ["  - slot_was_set:", f"    - {event.data['name']}: {_scalar(value)}"]
        elif event.kind == "active_loop":
            steps.append(f"  - active_loop: {_scalar(event.data.get('name'))}")
    return [steps for steps in sessions if any("  - user:" in line for line in steps)]


def test_story_yaml(review: Review, ref: str, fixes: Mapping[int, str] | None = None,
                    domain_file: Path = DOMAIN_FILE) -> str:
    """The whole conversation as a `rasa test` story (one per session), redacted, with the
    designer's corrected intents (`fixes`: turn id to intent)."""
    events = conversation_events(review, ref)
    sessions = _story_lines(events, known_values(events), fixes or {}, story_slots(domain_file))
    if not sessions:
        raise ConversationNotFound(ref)
    day = datetime.fromtimestamp(events[0].timestamp, UTC).date().isoformat()
    lines = ['version: "3.1"', "stories:"]
    for number, steps in enumerate(sessions, start=1):
        name = f"review {ref} {day}" + (f" part {number}" if len(sessions) > 1 else "")
        lines += [f"- story: {_scalar(name)}", "  steps:", *steps]
    return "\n".join(lines) + "\n"

