"""Back-office verbs: verify a patient, read a balance.

Billing, scheduling and pharmacy verbs live in billing.py, scheduling.py and pharmacy.py.
"""

from __future__ import annotations

import hashlib
import re
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from typing import TYPE_CHECKING

import redis
from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

if TYPE_CHECKING:
    from bot.backoffice.port import Identity

from bot.backoffice.enums import LanguageSource
from bot.backoffice.errors import PatientNotFound as PatientNotFound  # callers catch it here
from bot.backoffice.models import Charge, Invoice, Patient, Payment
from bot.backoffice.schemas import (
    Balance,
    ChargeLine,
    VerificationRequest,
    VerificationResult,
    VerificationStatus,
)


def normalize_name(name: str) -> str:
    """Compare names as people type them: case, accents, punctuation and spacing ignored."""
    folded = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode()
    return " ".join(re.sub(r"[^a-z ]", " ", folded.lower()).split())


def normalize_phone(phone: str) -> str:
    digits = re.sub(r"\D", "", phone)
    if len(digits) == 10:
        digits = "1" + digits
    return "+" + digits


@dataclass
class LockoutStore:
    """Failed-verification counters and locks in Redis, so they survive a restart.

    Counted three ways (`kind`): the conversation (`conv`), the source it comes from (`ip`:
    the web client's address; `number`: the texting number) and the record claimed on the
    web (`patient`: the patient found by name and ZIP; `claim`: the name and ZIP when no
    patient has them, so an unknown identity is paused alike). Each count and its expiry are
    one atomic step, so a key can never outlive its window.
    """

    redis: redis.Redis
    max_attempts: int = 3
    lock_seconds: int = 900
    source_max_attempts: int = 5
    patient_max_attempts: int = 10

    def limit(self, kind: str) -> int:
        return {"ip": self.source_max_attempts, "patient": self.patient_max_attempts,
                "claim": self.patient_max_attempts}.get(kind, self.max_attempts)

    def _lock_key(self, kind: str, ident: str) -> str:
        return f"verify:lock:{kind}:{ident}"

    def locked_for(self, kind: str, ident: str) -> int:
        """Seconds left on this lock (0: not locked)."""
        ttl = int(self.redis.ttl(self._lock_key(kind, ident)))
        return ttl if ttl > 0 else 0

    def record_failure(self, kind: str, ident: str) -> int:
        """Counts a failure; locks on the last allowed one. Returns the tries left."""
        key = f"verify:fails:{kind}:{ident}"
        pipe = self.redis.pipeline()  # MULTI/EXEC: the count and its expiry together
        pipe.incr(key)
        pipe.expire(key, self.lock_seconds)
        count = int(pipe.execute()[0])
        if count >= self.limit(kind):
            pipe = self.redis.pipeline()
            pipe.set(self._lock_key(kind, ident), "1", ex=self.lock_seconds)
            pipe.delete(key)
            pipe.execute()
            return 0
        return self.limit(kind) - count

    def clear(self, kind: str, ident: str) -> None:
        self.redis.delete(f"verify:fails:{kind}:{ident}")


def find_candidate(session: Session, req: VerificationRequest) -> Patient | None:
    """The patient the caller claims to be, found by what is not secret (phone, or name + ZIP)."""
    if req.channel == "sms":
        if not req.phone:
            return None
        return session.scalar(select(Patient).where(Patient.phone == normalize_phone(req.phone)))
    if not req.full_name or not req.zip_code:
        return None
    wanted = normalize_name(req.full_name)
    zip5 = req.zip_code.strip()[:5]
    for patient in session.scalars(select(Patient).where(Patient.zip_code == zip5)):
        if normalize_name(patient.full_name) == wanted:
            return patient
    return None


def _source(req: VerificationRequest) -> tuple[str, str] | None:
    """Where the tries come from: the texting number on SMS, the client's address on web
    (a shared network may hold several people, so it is allowed a few more)."""
    if req.channel == "sms":
        return ("number", normalize_phone(req.phone)) if req.phone else None
    return ("ip", req.source) if req.source else None


def _record(req: VerificationRequest, candidate: Patient | None) -> tuple[str, str] | None:
    """The record a web try is about: the patient found, else the name and ZIP claimed
    (hashed: not kept as typed). None on SMS, where the number on file is the patient's own."""
    if req.channel != "web":
        return None
    if candidate is not None:
        return ("patient", str(candidate.id))
    claimed = f"{normalize_name(req.full_name or '')}|{(req.zip_code or '').strip()[:5]}"
    return ("claim", hashlib.sha256(claimed.encode()).hexdigest()[:32])


def verify_patient(
    session: Session, lockouts: LockoutStore, req: VerificationRequest,
    identity: Identity | None = None,
    on_record_paused: Callable[[Patient], None] | None = None,
) -> VerificationResult:
    """Checks identity without telling a stranger who is a patient, and without letting a
    stranger lock a patient out.

    What the caller hears depends only on the conversation's and the source's own failures,
    and on the record's, never on whether the name, ZIP or number belongs to a patient: a
    known identity with a wrong date of birth and an unknown one count down and lock alike.
    Failures on the web are also counted per record claimed (many sources guessing one
    patient's date of birth): past the limit, web checks for that record pause, for a known
    patient and an unknown name alike, and whoever tries it next is told so, whether or not
    the details are right, without spending their tries. `on_record_paused` is called once
    when a patient's record pauses (the desk is alerted). A text from the patient's own
    number on file is never stopped by it: strangers cannot lock a patient out of their phone.
    """
    source = _source(req)
    retry = lockouts.locked_for("conv", req.conversation_id)
    if source:
        retry = max(retry, lockouts.locked_for(*source))
    if retry:
        return VerificationResult(status=VerificationStatus.locked, retry_after_seconds=retry)

    candidate = (identity.find_candidate(session, req) if identity is not None
                 else find_candidate(session, req))
    record = _record(req, candidate)
    paused = lockouts.locked_for(*record) if record else 0
    if paused:
        return VerificationResult(status=VerificationStatus.record_paused,
                                  retry_after_seconds=paused)
    own_number = req.channel == "sms" and candidate is not None
    if candidate is not None and candidate.date_of_birth == req.date_of_birth:
        lockouts.clear("conv", req.conversation_id)
        lockouts.clear("patient", str(candidate.id))
        if source and own_number:  # an address may be shared; the number was the patient's
            lockouts.clear(*source)
        if req.language_choice and (req.language_choice != candidate.preferred_language
                                    or candidate.preferred_language_source
                                    is not LanguageSource.patient):
            # The patient's own choice, made in this conversation, is their preference now.
            candidate.preferred_language = req.language_choice
            candidate.preferred_language_source = LanguageSource.patient
            session.commit()
        return VerificationResult(
            status=VerificationStatus.verified,
            patient_id=candidate.id,
            first_name=candidate.first_name,
            preferred_language=candidate.preferred_language,
            preferred_language_source=candidate.preferred_language_source,
        )

    left = lockouts.record_failure("conv", req.conversation_id)
    if source:
        left = min(left, lockouts.record_failure(*source))
    # Never changes this answer: the next try at the record is told it is paused.
    if (record is not None and lockouts.record_failure(*record) == 0
            and candidate is not None and on_record_paused is not None):
        on_record_paused(candidate)
    if left == 0:
        return VerificationResult(
            status=VerificationStatus.locked, retry_after_seconds=lockouts.lock_seconds
        )
    return VerificationResult(status=VerificationStatus.failed, attempts_left=left)


def paid_cents(session: Session, patient_id: int) -> int:
    """Everything the patient has paid: the balance and the statement subtract the same sum."""
    paid = session.scalar(
        select(func.coalesce(func.sum(Payment.amount_cents), 0)).where(
            Payment.patient_id == patient_id
        )
    )
    return int(paid or 0)


def set_sms_consent(session: Session, phone: str, consent: bool) -> None:
    """A carrier keyword (STOP, START) changes the patient's SMS consent on file; the caller
    commits, together with its own record of the keyword."""
    session.execute(update(Patient).where(Patient.phone == phone).values(sms_consent=consent))


def get_balance(session: Session, patient_id: int, today: date) -> Balance:
    """What the patient owes now, with the charges behind it."""
    if session.get(Patient, patient_id) is None:
        raise PatientNotFound()
    charges = list(
        session.scalars(
            select(Charge)
            .where(Charge.patient_id == patient_id)
            .order_by(Charge.service_date, Charge.id)
        )
    )
    owed = max(sum(c.patient_cents for c in charges) - paid_cents(session, patient_id), 0)
    due_date = session.scalar(
        select(func.min(Invoice.due_date))
        .join(Charge, Charge.invoice_id == Invoice.id)
        .where(Invoice.patient_id == patient_id)
    )
    return Balance(
        patient_id=patient_id,
        amount_cents=owed,
        due_date=due_date if owed else None,
        overdue=bool(owed and due_date and due_date < today),
        charges=[
            ChargeLine(
                id=c.id,
                claim_status=c.claim_status,
                service_date=c.service_date,
                description=c.description,
                billed_cents=c.billed_cents,
                insurance_paid_cents=c.insurance_paid_cents,
                patient_cents=c.patient_cents,
            )
            for c in charges
        ]
        if owed
        else [],
    )


# A message this short and made of letters only may be a name typed on its own ("ava
# sampleton"), which pattern redaction cannot recognise as one.
NAME_SHAPED = re.compile(r"^\s*[^\W\d_]+(?:[\s'.-]+[^\W\d_]+){0,3}\s*$")


def patient_name_words(session: Session, text: str) -> set[str]:
    """The words of a name-shaped message that are some patient's first or last name
    (lower case); nothing for any other message, without a query."""
    if not NAME_SHAPED.match(text):
        return set()
    words = {w for w in re.findall(r"[^\W\d_]+", text.lower()) if len(w) > 1}
    if not words:
        return set()
    rows = session.execute(select(func.lower(Patient.first_name), func.lower(Patient.last_name))
                           .where(func.lower(Patient.first_name).in_(words)
                                  | func.lower(Patient.last_name).in_(words))).tuples()
    return words & {name for row in rows for name in row}
