"""Liveness and readiness: readiness names what is not answering."""

import asyncio

import httpx
from fastapi import APIRouter
from fastapi.responses import JSONResponse
from sqlalchemy import text

from bot.db import get_engine
from bot.redis import get_async_redis
from bot.settings import get_settings

router = APIRouter(tags=["health"])
CHECK_TIMEOUT = 3.0


@router.get("/healthz")
def healthz() -> dict[str, str]:
    return {"status": "ok"}


async def _check_http(url: str, params: dict[str, str] | None = None) -> bool:
    async with httpx.AsyncClient(timeout=CHECK_TIMEOUT) as http:
        resp = await http.get(url, params=params)
        return resp.status_code == 200


async def _check_engines(urls: list[str], token: str) -> bool:
    """Ready when any engine answers: the client tries the others when one is down."""
    results = await asyncio.gather(*(_check_http(f"{url}/status", {"token": token})
                                     for url in urls), return_exceptions=True)
    return any(ok is True for ok in results)


async def _check_database() -> bool:
    def ping() -> bool:
        with get_engine().connect() as conn:
            conn.execute(text("SELECT 1"))
        return True

    return await asyncio.to_thread(ping)


async def _check_redis() -> bool:
    return bool(await get_async_redis().ping())


@router.get("/readyz")
async def readyz() -> JSONResponse:
    settings = get_settings()
    checks = {
        # /status needs the token and a loaded model, so it proves the engine can answer.
        "engine": _check_engines(settings.engine_url_list, settings.engine_token),
        "actions": _check_http(f"{settings.actions_url}/health"),
        "database": _check_database(),
        "redis": _check_redis(),
    }
    results = await asyncio.gather(
        *(asyncio.wait_for(c, CHECK_TIMEOUT + 1) for c in checks.values()), return_exceptions=True
    )
    status = {name: ok is True for name, ok in zip(checks, results, strict=True)}
    failed = [name for name, ok in status.items() if not ok]
    body = {"status": "ready" if not failed else "not ready", "checks": status, "failed": failed}
    return JSONResponse(body, status_code=200 if not failed else 503)
