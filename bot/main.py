"""The bot service, the public face of the assistant.

Run with `uvicorn --factory bot.main:create_app`.
"""

import asyncio
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI

from bot.assets.routes import router as assets_router
from bot.backoffice.routes import router as backoffice_router
from bot.desk.routes import router as desk_router
from bot.handoff.routes import router as handoff_router
from bot.health.routes import router as health_router
from bot.payments.routes import router as payments_router
from bot.privacy.redaction import redact_all_log_records
from bot.retention import run_forever
from bot.review.routes import router as review_router
from bot.safety.emergency import detect_emergency
from bot.security import security_headers
from bot.settings import get_settings
from channels import sms, web


@asynccontextmanager
async def lifespan(app: FastAPI) -> AsyncIterator[None]:
    # Build the safety net's matcher now, so the first patient does not wait a second for it.
    await asyncio.to_thread(detect_emergency, "warm up")
    retention = asyncio.create_task(run_forever())
    yield
    retention.cancel()


def create_app() -> FastAPI:
    settings = get_settings()
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s %(message)s")
    redact_all_log_records()
    app = FastAPI(title="Patient assistant", version="0.1.0", lifespan=lifespan)
    app.middleware("http")(security_headers(settings.public_base_url.startswith("https://")))
    app.include_router(health_router)
    app.include_router(assets_router)
    app.include_router(sms.router)
    app.include_router(web.router)
    app.include_router(backoffice_router)
    app.include_router(payments_router)
    app.include_router(handoff_router)
    app.include_router(desk_router)
    app.include_router(review_router)
    if settings.is_dev:
        app.include_router(sms.dev_router)
    return app
