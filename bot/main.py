"""The bot service, the public face of the assistant.

Run with `uvicorn --factory bot.main:create_app`.
"""

import asyncio
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI
from uvicorn.middleware.proxy_headers import ProxyHeadersMiddleware

from bot.assets.routes import router as assets_router
from bot.backoffice.routes import router as backoffice_router
from bot.conversations import language
from bot.db import get_sessionmaker
from bot.desk import waits as desk_waits
from bot.desk.routes import router as desk_router
from bot.desk.tools.delivery import run_forever as deliver_follow_ups
from bot.desk.tools.routes import router as desk_tools_router
from bot.handoff.routes import router as handoff_router
from bot.health.routes import router as health_router
from bot.insights import queue as insights_queue
from bot.outreach.routes import desk_router as outreach_desk_router
from bot.outreach.routes import router as outreach_router
from bot.payments.routes import router as payments_router
from bot.privacy.logs import configure as configure_logging
from bot.production import (
    BodyGuard,
    add_dev_docs,
    service_secrets,
    startup_advice,
)
from bot.redis import get_async_redis
from bot.reports.routes import router as insights_router
from bot.retention import run_forever
from bot.review.routes import router as review_router
from bot.safety.emergency import detect_emergency
from bot.security import SecurityHeaders
from bot.settings import get_settings, refuse_unsafe_start
from bot.widget import origins as widget_origins
from bot.widget.routes import router as widget_router
from channels import sms, web


@asynccontextmanager
async def lifespan(app: FastAPI) -> AsyncIterator[None]:
    # Build the safety net's matcher now, so the first patient does not wait a second for it.
    await asyncio.to_thread(detect_emergency, "warm up")
    # The language detector's models too, beside the start (they take a second or two).
    detector = asyncio.create_task(asyncio.to_thread(language.warm_up))
    await startup_advice()  # an empty production database: say what to do
    retention = asyncio.create_task(run_forever())
    follow_ups = asyncio.create_task(deliver_follow_ups())  # desk tools: follow-up texts
    # Faults: texts stored while Redis or the engine was away are handled once back.
    inbound = asyncio.create_task(sms.retry_inbound_forever())
    waits = asyncio.create_task(desk_waits.run_forever())  # desk teams: callbacks, urgent flags
    # Insights: the turns queued by every worker, recorded off the patient's path.
    recorder = asyncio.create_task(insights_queue.run_forever(get_async_redis,
                                                              get_sessionmaker()))
    yield
    detector.cancel()
    recorder.cancel()
    await insights_queue.flush(get_async_redis, get_sessionmaker())
    waits.cancel()
    retention.cancel()
    follow_ups.cancel()
    inbound.cancel()


def create_app() -> FastAPI:
    settings = get_settings()
    configure_logging(logging.INFO, service_secrets(settings))
    # Cost per turn: httpx logs every internal call (engine, back office) at INFO, each
    # line then redacted; failures are logged where they are handled.
    logging.getLogger("httpx").setLevel(logging.WARNING)
    refuse_unsafe_start(settings)  # APP_ENV=prod: no default secret, http URL or dev store
    widget_origins.configured()  # a WIDGET_ALLOWED_ORIGINS entry that is no origin: named, no start
    # The schema and its docs (every back-office route) are for developers only.
    app = FastAPI(title="Patient assistant", version="0.1.0", lifespan=lifespan,
                  docs_url=None, redoc_url=None,
                  openapi_url="/openapi.json" if settings.is_dev else None)
    app.add_middleware(SecurityHeaders, https=settings.public_base_url.startswith("https://"))
    # Oversized or unreadable bodies (too deep, a lone surrogate): 413/400, never a 500.
    app.add_middleware(BodyGuard)
    # Outermost: the client address (per-IP limits) and scheme come from X-Forwarded-* only
    # when the connection is from a configured load balancer (FORWARDED_ALLOW_IPS).
    app.add_middleware(ProxyHeadersMiddleware, trusted_hosts=settings.forwarded_allow_ips)
    app.include_router(health_router)
    app.include_router(assets_router)
    app.include_router(sms.router)
    app.include_router(web.router)
    app.include_router(widget_router)
    app.include_router(backoffice_router)
    app.include_router(payments_router)
    app.include_router(handoff_router)
    app.include_router(desk_router)
    app.include_router(desk_tools_router)
    app.include_router(review_router)
    app.include_router(outreach_router)  # replies to outreach (service token)
    app.include_router(outreach_desk_router)  # the desk's Outreach view (agents)
    app.include_router(insights_router)
    if settings.is_dev:
        app.include_router(sms.dev_router)
        add_dev_docs(app)
    return app
