"""Narrow, validated models of the US Core R4 resources the adapter reads.

Only the elements we use, everything else ignored, so a server's extra elements and
extensions never break a read, and a missing element we need fails validation in one place
(a typed `FhirError`, never a KeyError mid-turn). Why not `fhir.resources`: its 7.x and 8.x
releases model R5 and R4B, not R4 (4.0.1), which is what US Core and the EHR vendors serve;
R4B's differences (e.g. in MedicationRequest and Appointment) would reject or misread valid R4
answers, and the full models cost far more to validate than the handful of fields we read.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any, TypeVar

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from bot.backoffice.fhir.client import FhirError


class _Element(BaseModel):
    model_config = ConfigDict(extra="ignore", populate_by_name=True)


class Meta(_Element):
    versionId: str | None = None


class Coding(_Element):
    system: str | None = None
    code: str | None = None
    display: str | None = None


class CodeableConcept(_Element):
    coding: list[Coding] = []
    text: str | None = None

    def label(self) -> str:
        return self.text or next((c.display or c.code or "" for c in self.coding), "")

    def has(self, system: str, code: str) -> bool:
        return any(c.system == system and c.code == code for c in self.coding)


class Reference(_Element):
    reference: str | None = None
    display: str | None = None

    def id_of(self, resource_type: str) -> str | None:
        """The logical id when this points at `resource_type` (relative or absolute)."""
        if not self.reference:
            return None
        parts = self.reference.rstrip("/").split("/")
        if len(parts) >= 2 and parts[-2] == resource_type:
            return parts[-1]
        if len(parts) >= 4 and parts[-4] == resource_type and parts[-2] == "_history":
            return parts[-3]
        return None


class Identifier(_Element):
    system: str | None = None
    value: str | None = None


class HumanName(_Element):
    text: str | None = None
    family: str | None = None
    given: list[str] = []
    prefix: list[str] = []
    use: str | None = None

    def full(self) -> str:
        return self.text or " ".join([*self.prefix, *self.given, self.family or ""]).strip()


class ContactPoint(_Element):
    system: str | None = None
    value: str | None = None


class Address(_Element):
    line: list[str] = []
    city: str | None = None
    state: str | None = None
    postalCode: str | None = None


class Communication(_Element):
    language: CodeableConcept
    preferred: bool | None = None


class Resource(_Element):
    id: str
    meta: Meta = Meta()

    @property
    def version(self) -> str | None:
        return self.meta.versionId


class Money(_Element):
    value: float | None = None
    currency: str | None = None


class Extension(_Element):
    url: str
    valueMoney: Money | None = None


class Account(Resource):
    status: str
    extension: list[Extension] = []

    def money(self, url: str) -> Money | None:
        return next((e.valueMoney for e in self.extension
                     if e.url == url and e.valueMoney is not None), None)


class Patient(Resource):
    identifier: list[Identifier] = []
    name: list[HumanName] = []
    birthDate: date | None = None
    telecom: list[ContactPoint] = []
    address: list[Address] = []
    communication: list[Communication] = []

    def identifier_value(self, system: str) -> str | None:
        return next((i.value for i in self.identifier if i.system == system and i.value), None)

    def official_name(self) -> HumanName:
        return next((n for n in self.name if n.use == "official"),
                    self.name[0] if self.name else HumanName())


class Practitioner(Resource):
    name: list[HumanName] = []


class Location(Resource):
    name: str | None = None
    address: Address | None = None

    def label(self) -> str:
        return ", ".join(p for p in [self.name or "", *(self.address.line if self.address
                                                         else [])] if p)


class Organization(Resource):
    name: str | None = None
    telecom: list[ContactPoint] = []
    address: list[Address] = []


class Schedule(Resource):
    actor: list[Reference] = []


class Slot(Resource):
    schedule: Reference
    status: str
    start: datetime
    end: datetime


class Participant(_Element):
    actor: Reference | None = None
    status: str | None = None


class Appointment(Resource):
    identifier: list[Identifier] = []
    status: str
    start: datetime | None = None
    end: datetime | None = None
    slot: list[Reference] = []
    participant: list[Participant] = []
    specialty: list[CodeableConcept] = []
    serviceType: list[CodeableConcept] = []
    created: datetime | None = None

    def actor_id(self, resource_type: str) -> str | None:
        return next((p.actor.id_of(resource_type) for p in self.participant
                     if p.actor and p.actor.id_of(resource_type)), None)


class DispenseRequest(_Element):
    numberOfRepeatsAllowed: int = 0
    performer: Reference | None = None


class MedicationRequest(Resource):
    status: str
    intent: str | None = None
    medicationCodeableConcept: CodeableConcept | None = None
    medicationReference: Reference | None = None
    subject: Reference
    requester: Reference | None = None
    reasonCode: list[CodeableConcept] = []
    dispenseRequest: DispenseRequest = DispenseRequest()


class MedicationDispense(Resource):
    status: str
    authorizingPrescription: list[Reference] = []


class Task(Resource):
    identifier: list[Identifier] = []
    status: str
    intent: str | None = None
    code: CodeableConcept | None = None
    focus: Reference | None = None
    authoredOn: datetime | None = None


class CoverageClass(_Element):
    type: CodeableConcept
    value: str | None = None
    name: str | None = None


class Coverage(Resource):
    status: str
    subscriberId: str | None = None
    identifier: list[Identifier] = []
    payor: list[Reference] = []
    class_: list[CoverageClass] = Field(default=[], alias="class")
    order: int | None = None

    def class_of(self, kind: str) -> CoverageClass | None:
        return next((c for c in self.class_ if any(k.code == kind for k in c.type.coding)),
                    None)


class ConsentProvision(_Element):
    type: str | None = None


class Consent(Resource):
    status: str
    category: list[CodeableConcept] = []
    provision: ConsentProvision | None = None


R = TypeVar("R", bound=Resource)


def parse(model: type[R], body: dict[str, Any]) -> R:
    """A resource as the model, or a typed error naming only the type (never the values)."""
    try:
        return model.model_validate(body)
    except ValidationError as exc:
        fields = ", ".join(".".join(str(p) for p in e["loc"]) for e in exc.errors()[:3])
        raise FhirError(f"unreadable {model.__name__} from the EHR ({fields})") from None


def of_type(model: type[R], resources: list[dict[str, Any]]) -> list[R]:
    return [parse(model, r) for r in resources if r.get("resourceType") == model.__name__]
