"""Back-office tables. Money is kept in integer cents; instants in UTC."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import (
    Boolean,
    Date,
    Enum,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

# Defined without the ORM (the action server reads them); the tables' users may import
# them from here too.
from bot.backoffice.enums import (
    AppointmentStatus,
    ClaimStatus,
    DenialReason,
    InquiryKind,
    LanguageSource,
    PatientShareReason,
    PaymentPlanHold,
    PaymentPlanStatus,
    Purpose,
    RefillStatus,
    RequestStatus,
)
from bot.db import Base, UTCDateTime


class Patient(Base):
    __tablename__ = "patients"

    id: Mapped[int] = mapped_column(primary_key=True)
    mrn: Mapped[str] = mapped_column(String(20), unique=True)
    first_name: Mapped[str] = mapped_column(String(80))
    last_name: Mapped[str] = mapped_column(String(80))
    date_of_birth: Mapped[date] = mapped_column(Date)
    phone: Mapped[str] = mapped_column(String(20), unique=True)
    zip_code: Mapped[str] = mapped_column(String(10))
    email: Mapped[str | None] = mapped_column(String(200))
    sms_consent: Mapped[bool] = mapped_column(Boolean, default=True)
    # Billing's say on the account: plans need the flag on and no hold. A hold says why the
    # flag is off (or overrides it); an account with the flag off and no hold has no reason
    # recorded. The balance must also reach billing.PLAN_MINIMUM_CENTS.
    payment_plan_eligible: Mapped[bool] = mapped_column(Boolean, default=False)
    payment_plan_hold: Mapped[PaymentPlanHold | None] = mapped_column(
        Enum(PaymentPlanHold, native_enum=False, length=30))
    # The patient's IANA time zone (outreach quiet hours); None: the clinic's (migration 0007).
    timezone: Mapped[str | None] = mapped_column(String(64))
    # The language the patient is spoken to in (ISO 639-1), and where that came from
    # (migration 0014: every earlier row is English, from the record).
    preferred_language: Mapped[str] = mapped_column(String(8), default="en",
                                                    server_default="en")
    preferred_language_source: Mapped[LanguageSource] = mapped_column(
        Enum(LanguageSource, native_enum=False, length=20), default=LanguageSource.record,
        server_default=LanguageSource.record.value)

    appointments: Mapped[list[Appointment]] = relationship(back_populates="patient")
    charges: Mapped[list[Charge]] = relationship(back_populates="patient")
    prescriptions: Mapped[list[Prescription]] = relationship(back_populates="patient")

    @property
    def full_name(self) -> str:
        return f"{self.first_name} {self.last_name}"


class Provider(Base):
    __tablename__ = "providers"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(120), unique=True)
    specialty: Mapped[str] = mapped_column(String(80))
    location: Mapped[str] = mapped_column(String(200))


class Slot(Base):
    """An open time a provider can see a patient; an appointment takes one."""

    __tablename__ = "slots"
    __table_args__ = (UniqueConstraint("provider_id", "starts_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    provider_id: Mapped[int] = mapped_column(ForeignKey("providers.id"), index=True)
    starts_at: Mapped[datetime] = mapped_column(UTCDateTime)
    duration_minutes: Mapped[int] = mapped_column(Integer, default=30)

    provider: Mapped[Provider] = relationship()


class Appointment(Base):
    __tablename__ = "appointments"
    __table_args__ = (
        # Two patients can never hold the same slot: only one booked appointment per slot.
        Index(
            "uq_appointments_booked_slot",
            "slot_id",
            unique=True,
            sqlite_where=text("status = 'booked'"),
            postgresql_where=text("status = 'booked'"),
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    patient_id: Mapped[int] = mapped_column(ForeignKey("patients.id"), index=True)
    provider_id: Mapped[int] = mapped_column(ForeignKey("providers.id"))
    slot_id: Mapped[int | None] = mapped_column(ForeignKey("slots.id"))
    starts_at: Mapped[datetime] = mapped_column(UTCDateTime)
    status: Mapped[AppointmentStatus] = mapped_column(
        Enum(AppointmentStatus, native_enum=False, length=20), default=AppointmentStatus.booked
    )
    reason: Mapped[str | None] = mapped_column(String(200))
    # When it was booked (reminders due before that are skipped) and when the patient confirmed
    # it from a reminder; None when not recorded (migration 0007).
    booked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    confirmed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    patient: Mapped[Patient] = relationship(back_populates="appointments")
    provider: Mapped[Provider] = relationship()


class Invoice(Base):
    """A statement sent to the patient; its charges are what the patient owes."""

    __tablename__ = "invoices"

    id: Mapped[int] = mapped_column(primary_key=True)
    patient_id: Mapped[int] = mapped_column(ForeignKey("patients.id"), index=True)
    statement_date: Mapped[date] = mapped_column(Date)
    due_date: Mapped[date] = mapped_column(Date)

    charges: Mapped[list[Charge]] = relationship(back_populates="invoice")


class Charge(Base):
    __tablename__ = "charges"

    id: Mapped[int] = mapped_column(primary_key=True)
    patient_id: Mapped[int] = mapped_column(ForeignKey("patients.id"), index=True)
    invoice_id: Mapped[int | None] = mapped_column(ForeignKey("invoices.id"))
    service_date: Mapped[date] = mapped_column(Date)
    description: Mapped[str] = mapped_column(String(200))
    billed_cents: Mapped[int] = mapped_column(Integer)
    insurance_paid_cents: Mapped[int] = mapped_column(Integer, default=0)
    patient_cents: Mapped[int] = mapped_column(Integer)
    # Charges from before claims were tracked are "pending"; migration 0002 marks paid ones.
    claim_status: Mapped[ClaimStatus] = mapped_column(
        Enum(ClaimStatus, native_enum=False, length=20),
        default=ClaimStatus.pending,
        server_default=ClaimStatus.pending.value,
    )
    # What the patient's part is for (the insurer's explanation of benefits); None: not
    # recorded (charges from before migration 0006) or nothing is the patient's yet.
    patient_share_reason: Mapped[PatientShareReason | None] = mapped_column(
        Enum(PatientShareReason, native_enum=False, length=20))
    # Why the insurer did not cover it, when patient_share_reason is not_covered.
    denial_reason: Mapped[DenialReason | None] = mapped_column(
        Enum(DenialReason, native_enum=False, length=30))

    patient: Mapped[Patient] = relationship(back_populates="charges")
    invoice: Mapped[Invoice | None] = relationship(back_populates="charges")


class Payment(Base):
    __tablename__ = "payments"

    id: Mapped[int] = mapped_column(primary_key=True)
    patient_id: Mapped[int] = mapped_column(ForeignKey("patients.id"), index=True)
    amount_cents: Mapped[int] = mapped_column(Integer)
    paid_at: Mapped[datetime] = mapped_column(UTCDateTime)
    method: Mapped[str] = mapped_column(String(40))
    reference: Mapped[str] = mapped_column(String(40), unique=True)


class Pharmacy(Base):
    __tablename__ = "pharmacies"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(120))
    address: Mapped[str] = mapped_column(String(200))
    phone: Mapped[str] = mapped_column(String(20))


class Prescription(Base):
    __tablename__ = "prescriptions"

    id: Mapped[int] = mapped_column(primary_key=True)
    patient_id: Mapped[int] = mapped_column(ForeignKey("patients.id"), index=True)
    prescriber_id: Mapped[int] = mapped_column(ForeignKey("providers.id"))
    pharmacy_id: Mapped[int] = mapped_column(ForeignKey("pharmacies.id"))
    medication: Mapped[str] = mapped_column(String(120))
    strength: Mapped[str] = mapped_column(String(40))
    purpose: Mapped[str | None] = mapped_column(String(120))
    refills_left: Mapped[int] = mapped_column(Integer)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    # The day the supply on hand runs out (refill prompts); None: not known (migration 0007).
    supply_ends_on: Mapped[date | None] = mapped_column(Date)

    patient: Mapped[Patient] = relationship(back_populates="prescriptions")
    pharmacy: Mapped[Pharmacy] = relationship()


class RefillRequest(Base):
    __tablename__ = "refill_requests"

    id: Mapped[int] = mapped_column(primary_key=True)
    patient_id: Mapped[int] = mapped_column(ForeignKey("patients.id"), index=True)
    prescription_id: Mapped[int] = mapped_column(ForeignKey("prescriptions.id"))
    reference: Mapped[str] = mapped_column(String(20), unique=True)
    status: Mapped[RefillStatus] = mapped_column(
        Enum(RefillStatus, native_enum=False, length=30)
    )
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    note: Mapped[str | None] = mapped_column(Text)


class BillingInquiry(Base):
    """"I was billed twice", "I dispute this": a billing specialist follows up."""

    __tablename__ = "billing_inquiries"

    id: Mapped[int] = mapped_column(primary_key=True)
    patient_id: Mapped[int] = mapped_column(ForeignKey("patients.id"), index=True)
    charge_id: Mapped[int | None] = mapped_column(ForeignKey("charges.id"))
    kind: Mapped[InquiryKind] = mapped_column(Enum(InquiryKind, native_enum=False, length=20))
    status: Mapped[RequestStatus] = mapped_column(
        Enum(RequestStatus, native_enum=False, length=20), default=RequestStatus.open
    )
    reference: Mapped[str] = mapped_column(String(20), unique=True)
    note: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)


class PaymentLink(Base):
    """A one-time payment page. Only a hash of its token is kept: the link itself is the key."""

    __tablename__ = "payment_links"

    id: Mapped[int] = mapped_column(primary_key=True)
    patient_id: Mapped[int] = mapped_column(ForeignKey("patients.id"), index=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    amount_cents: Mapped[int] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    payment_id: Mapped[int | None] = mapped_column(ForeignKey("payments.id"))


class PaymentPlan(Base):
    __tablename__ = "payment_plans"
    __table_args__ = (
        # One active plan per patient, whatever races the dialogue runs into.
        Index(
            "uq_payment_plans_active_patient",
            "patient_id",
            unique=True,
            sqlite_where=text("status = 'active'"),
            postgresql_where=text("status = 'active'"),
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    patient_id: Mapped[int] = mapped_column(ForeignKey("patients.id"), index=True)
    reference: Mapped[str] = mapped_column(String(20), unique=True)
    months: Mapped[int] = mapped_column(Integer)
    total_cents: Mapped[int] = mapped_column(Integer)
    monthly_cents: Mapped[int] = mapped_column(Integer)
    last_month_cents: Mapped[int] = mapped_column(Integer)
    first_due_date: Mapped[date] = mapped_column(Date)
    status: Mapped[PaymentPlanStatus] = mapped_column(
        Enum(PaymentPlanStatus, native_enum=False, length=20), default=PaymentPlanStatus.active
    )
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)


class InsurancePolicy(Base):
    __tablename__ = "insurance_policies"

    id: Mapped[int] = mapped_column(primary_key=True)
    patient_id: Mapped[int] = mapped_column(ForeignKey("patients.id"), index=True)
    payer: Mapped[str] = mapped_column(String(120))
    member_id: Mapped[str] = mapped_column(String(40))
    group_number: Mapped[str | None] = mapped_column(String(40))
    plan_name: Mapped[str | None] = mapped_column(String(120))
    is_primary: Mapped[bool] = mapped_column(Boolean, default=True)
    active: Mapped[bool] = mapped_column(Boolean, default=True)


class InsuranceUpdateRequest(Base):
    """The patient has new coverage; registration verifies it before claims use it."""

    __tablename__ = "insurance_update_requests"

    id: Mapped[int] = mapped_column(primary_key=True)
    patient_id: Mapped[int] = mapped_column(ForeignKey("patients.id"), index=True)
    reference: Mapped[str] = mapped_column(String(20), unique=True)
    payer: Mapped[str | None] = mapped_column(String(120))
    member_id: Mapped[str | None] = mapped_column(String(40))
    group_number: Mapped[str | None] = mapped_column(String(40))
    note: Mapped[str | None] = mapped_column(Text)
    status: Mapped[RequestStatus] = mapped_column(
        Enum(RequestStatus, native_enum=False, length=20), default=RequestStatus.open
    )
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)


class SeedRun(Base):
    """When the demo seed last ran, so dates can be kept relative to today."""

    __tablename__ = "seed_runs"

    id: Mapped[int] = mapped_column(primary_key=True)
    seeded_on: Mapped[date] = mapped_column(Date)


class FhirLink(Base):
    """The number our API uses for a resource that lives in the EHR (an Appointment, Slot,
    Practitioner or MedicationRequest), so the action server's integer ids keep working
    whichever adapter answers. Patients are ours already: they are linked by MRN."""

    __tablename__ = "fhir_links"
    __table_args__ = (UniqueConstraint("resource_type", "fhir_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    resource_type: Mapped[str] = mapped_column(String(40))
    fhir_id: Mapped[str] = mapped_column(String(64))


class OutreachConsent(Base):
    """Consent of one patient, on one channel, for one purpose: where it came from, and when
    it was withdrawn (and by what: "sms_stop" is undone by START)."""

    __tablename__ = "outreach_consents"

    patient_id: Mapped[int] = mapped_column(ForeignKey("patients.id"), primary_key=True)
    channel: Mapped[str] = mapped_column(String(10), primary_key=True)
    purpose: Mapped[Purpose] = mapped_column(Enum(Purpose, native_enum=False, length=20),
                                             primary_key=True)
    source: Mapped[str] = mapped_column(String(80))
    granted_at: Mapped[datetime] = mapped_column(UTCDateTime)
    withdrawn_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    withdrawn_by: Mapped[str | None] = mapped_column(String(40))


class SmsOptOut(Base):
    """A number that texted STOP: nothing is sent to it (bot, agent, reminders) until START."""

    __tablename__ = "sms_opt_outs"

    phone: Mapped[str] = mapped_column(String(20), primary_key=True)
    opted_out_at: Mapped[datetime] = mapped_column(UTCDateTime)
