"""Back-office HTTP API, for the action server only (service token)."""

import hmac
from typing import Annotated

import redis
from fastapi import APIRouter, Depends, Header, HTTPException, status

from bot.backoffice import service
from bot.backoffice.schemas import Balance, VerificationRequest, VerificationResult
from bot.clock import clinic_today
from bot.deps import SessionDep, SettingsDep
from bot.redis import get_redis


def require_service_token(
    settings: SettingsDep, authorization: Annotated[str | None, Header()] = None
) -> None:
    expected = settings.backoffice_token
    if not expected:
        raise HTTPException(status.HTTP_503_SERVICE_UNAVAILABLE, "BACKOFFICE_TOKEN is not set")
    scheme, _, token = (authorization or "").partition(" ")
    if scheme.lower() != "bearer" or not hmac.compare_digest(token.encode(), expected.encode()):
        raise HTTPException(status.HTTP_401_UNAUTHORIZED, "service token required")


router = APIRouter(
    prefix="/api/backoffice",
    tags=["backoffice"],
    dependencies=[Depends(require_service_token)],
)


def get_lockouts(
    settings: SettingsDep, client: Annotated[redis.Redis, Depends(get_redis)]
) -> service.LockoutStore:
    return service.LockoutStore(
        client,
        max_attempts=settings.verification_max_attempts,
        lock_seconds=settings.verification_lock_seconds,
    )


@router.post("/verifications", response_model=VerificationResult)
def verify(
    body: VerificationRequest,
    session: SessionDep,
    lockouts: Annotated[service.LockoutStore, Depends(get_lockouts)],
) -> VerificationResult:
    return service.verify_patient(session, lockouts, body)


@router.get("/patients/{patient_id}/balance", response_model=Balance)
def balance(patient_id: int, session: SessionDep) -> Balance:
    try:
        return service.get_balance(session, patient_id, clinic_today())
    except service.PatientNotFound:
        raise HTTPException(status.HTTP_404_NOT_FOUND, "no such patient") from None
