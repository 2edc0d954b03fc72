"""Repeat-yourself detection: after a handoff, did the agent ask for something the handoff's
context already held, or did the patient send it again?

Rules, not a guess: each item (date of birth, name, which appointment, which medication, the
balance question) has a pattern for an agent's question and one for a patient's re-sending,
and fires only when the context holds that item. A question about one charge is a new
question, not the balance asked again. `docs/metrics.md#repeat-yourself`.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from bot.insights.enums import topic_of_intent

# An agent's message asks when it has a question mark or opens like a request.
_ASKS = re.compile(r"\?|^\s*(please|pls|can you|could you|would you|may i|what|which|who|when|"
                   r"tell me|confirm|give me|i need|i'll need|i will need)\b", re.I)
_AGENT_ASKS: dict[str, re.Pattern[str]] = {
    "dob": re.compile(r"\b(date of birth|birth ?date|d\.?o\.?b\.?|when were you born|"
                      r"birthday)\b", re.I),
    "name": re.compile(r"\b(your (full |first and last |last |first )?name|"
                       r"who am i (speaking|talking|chatting) (to|with)|who is this)\b", re.I),
    "appointment": re.compile(r"\b(which|what|when is( your)?|the date of( your)?) "
                              r"(appointment|appt|visit)\b|\bwhich (doctor|provider)\b", re.I),
    "medication": re.compile(r"\b(which|what|the name of( your| the)?) "
                             r"(medication|medicine|meds|prescription|drug|refill)s?\b", re.I),
    "balance_question": re.compile(
        r"\b(how (can|may) i help|what can i (help you with|do for you)|"
        r"what (do you need|is your question|are you (calling|writing|contacting us) about|"
        r"did you need|brings you)|what('s| is) (this|it) (about|regarding))\b", re.I),
}
_BALANCE_WORDS = re.compile(r"\b(how much (do )?i owe|what (do )?i owe|my balance|the balance|"
                            r"balance due|amount due|my bill)\b", re.I)
# A message that names one charge (its kind, an amount, a month or a date) asks about that
# charge, a new question, even in the balance's words ("what is the $80 charge from March on
# my bill?").
_CHARGE_WORDS = re.compile(r"\b(charges?|charged|fees?|co-?pays?|co-?insurance|deductibles?|"
                           r"invoices?|statements?|visits?|procedures?|services?|line items?)\b",
                           re.I)
_AMOUNT = re.compile(r"\$\s?(\d[\d,]*(?:\.\d{1,2})?)|"
                     r"\b(\d[\d,]*(?:\.\d{1,2})?)\s?(?:dollars|usd|bucks)\b", re.I)
# Month names ("may" only where it names the month: "in May", "May 3"), and a day of a month.
_MONTH_NAMED = re.compile(
    r"\b(january|february|march|april|june|july|august|september|october|november|december)\b"
    r"|\b(in|from|on|since|of|last|this) may\b|\b(jan|feb|mar|apr|may|jun|jul|aug|sept?|oct|nov|"
    r"dec)\.? \d{1,2}\b", re.I)
_DAY_OF_MONTH = re.compile(r"(?<![\d/])(1[0-2]|0?[1-9])/(3[01]|[12]\d|0?[1-9])(?![\d/])")
_MONTHS = {m: i + 1 for i, m in enumerate(
    ["jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"])}
_NUMERIC_DATE = re.compile(r"\b(\d{1,2})[/.\-](\d{1,2})[/.\-](\d{2}|\d{4})\b")
_ISO_DATE = re.compile(r"\b(\d{4})-(\d{1,2})-(\d{1,2})\b")
_MONTH_FIRST = re.compile(r"\b([a-z]{3})[a-z]*\.?\s+(\d{1,2})(?:st|nd|rd|th)?,?\s+(\d{4})\b",
                          re.I)
_DAY_FIRST = re.compile(r"\b(\d{1,2})(?:st|nd|rd|th)?\s+([a-z]{3})[a-z]*\.?,?\s+(\d{4})\b", re.I)


@dataclass(frozen=True)
class HandoffContext:
    """What the agent was handed: the verified patient's summary, the request's intents."""

    verified: bool = False
    name: str | None = None
    date_of_birth: date | None = None
    providers: tuple[str, ...] = ()
    medications: tuple[str, ...] = ()
    intents: tuple[str, ...] = ()
    topics: frozenset[str] = field(default_factory=frozenset)
    # The balance on the card the agent was handed (verified patients; None when unknown).
    balance_cents: int | None = None


def context_of(verified: bool, summary: dict[str, Any] | None, intents: list[str],
               slots: dict[str, Any] | None = None) -> HandoffContext:
    summary = summary or {}
    dob: date | None = None
    try:
        dob = date.fromisoformat(str(summary.get("date_of_birth") or ""))
    except ValueError:
        dob = None
    providers = tuple(str(a.get("provider") or "") for a in summary.get("upcoming_appointments")
                      or [] if isinstance(a, dict) and a.get("provider"))
    medications = tuple(str(p.get("medication") or "") for p in
                        summary.get("active_prescriptions") or []
                        if isinstance(p, dict) and p.get("medication"))
    pending = (slots or {}).get("pending_request")
    all_intents = tuple(intents) + ((f"billing_{pending}",) if pending == "balance" else ())
    topics = frozenset(t for t in (topic_of_intent(i) for i in all_intents) if t)
    balance = summary.get("balance_cents")
    return HandoffContext(verified=verified and bool(summary), name=summary.get("name") or None,
                          date_of_birth=dob, providers=providers, medications=medications,
                          intents=all_intents, topics=topics,
                          balance_cents=balance if isinstance(balance, int)
                          and not isinstance(balance, bool) else None)


def _fold(text: str) -> str:
    return unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode().lower()


def _words(text: str) -> set[str]:
    return set(re.findall(r"[a-z0-9]+", _fold(text)))


def _holds(ctx: HandoffContext, item: str) -> bool:
    """Whether the context already answers this item."""
    if item == "dob":
        return ctx.verified and ctx.date_of_birth is not None
    if item == "name":
        return ctx.verified and bool(ctx.name)
    if item == "appointment":
        return bool(ctx.providers) and "appointments" in ctx.topics
    if item == "medication":
        return bool(ctx.medications) and "refills" in ctx.topics
    return "billing_balance" in ctx.intents


def agent_repeats(text: str, ctx: HandoffContext) -> list[str]:
    """The items an agent's message asks for although the context holds them."""
    if not _ASKS.search(text):
        return []
    return [item for item, pattern in _AGENT_ASKS.items()
            if _holds(ctx, item) and pattern.search(text)]


def _dated_spans(text: str) -> list[tuple[tuple[int, int], date]]:
    """Each full date written in the text, with where it is written."""
    found: list[tuple[tuple[int, int], date]] = []

    def add(span: tuple[int, int], year: int, month: int, day: int) -> None:
        if year < 100:
            year += 1900 if year > 30 else 2000
        try:
            found.append((span, date(year, month, day)))
        except ValueError:
            pass

    for m in _ISO_DATE.finditer(text):
        add(m.span(), int(m[1]), int(m[2]), int(m[3]))
    for m in _NUMERIC_DATE.finditer(text):
        add(m.span(), int(m[3]), int(m[1]), int(m[2]))
    for m in _MONTH_FIRST.finditer(text):
        if m[1].lower() in _MONTHS:
            add(m.span(), int(m[3]), _MONTHS[m[1].lower()], int(m[2]))
    for m in _DAY_FIRST.finditer(text):
        if m[2].lower() in _MONTHS:
            add(m.span(), int(m[3]), _MONTHS[m[2].lower()], int(m[1]))
    return found


def dates_in(text: str) -> set[date]:
    return {day for _, day in _dated_spans(text)}


def _last_name(provider: str) -> str:
    words = [w for w in re.findall(r"[a-z]+", _fold(provider)) if w not in {"dr", "md", "do"}]
    return words[-1] if words else ""


def _cents(amount: str) -> int | None:
    try:
        return round(float(amount.replace(",", "")) * 100)
    except ValueError:
        return None


def about_another_charge(text: str, ctx: HandoffContext) -> bool:
    """Whether the message asks about one charge rather than the balance again: it names a
    kind of charge, a month or a date, or an amount that is not the balance on the card."""
    # The date of birth said again is no charge's date.
    for (start, end), day in _dated_spans(text):
        if day == ctx.date_of_birth:
            text = text[:start] + " " * (end - start) + text[end:]
    if _CHARGE_WORDS.search(text) or _MONTH_NAMED.search(text) or _DAY_OF_MONTH.search(text) \
            or dates_in(text):
        return True
    amounts = {_cents(m[1] or m[2]) for m in _AMOUNT.finditer(text)}
    return any(a is None or a != ctx.balance_cents for a in amounts)


def patient_repeats(text: str, ctx: HandoffContext) -> list[str]:
    """The items a patient's message to the agent sends again although the context holds them."""
    found: list[str] = []
    words = _words(text)
    if _holds(ctx, "dob") and ctx.date_of_birth in dates_in(text):
        found.append("dob")
    if _holds(ctx, "name") and ctx.name:
        name_words = [w for w in re.findall(r"[a-z]+", _fold(ctx.name)) if len(w) > 1]
        if len(name_words) >= 2 and all(w in words for w in name_words):
            found.append("name")
    if _holds(ctx, "appointment") and any(
            (last := _last_name(p)) and last in words for p in ctx.providers):
        found.append("appointment")
    if _holds(ctx, "medication") and any(
            (first := _fold(m).split(" ")[0]) and first in words for m in ctx.medications):
        found.append("medication")
    if (_holds(ctx, "balance_question") and _BALANCE_WORDS.search(text)
            and not about_another_charge(text, ctx)):
        found.append("balance_question")
    return found
