"""The bot service, the public face of the assistant.

Run with `uvicorn --factory bot.main:create_app`.
"""

import logging

from fastapi import FastAPI

from bot.backoffice.routes import payments_router
from bot.backoffice.routes import router as backoffice_router
from bot.desk.routes import router as desk_router
from bot.handoff.routes import router as handoff_router
from bot.health.routes import router as health_router
from bot.settings import get_settings
from channels import sms, web


def create_app() -> FastAPI:
    settings = get_settings()
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s %(message)s")
    app = FastAPI(title="Patient assistant", version="0.1.0")
    app.include_router(health_router)
    app.include_router(sms.router)
    app.include_router(web.router)
    app.include_router(backoffice_router)
    app.include_router(payments_router)
    app.include_router(handoff_router)
    app.include_router(desk_router)
    if settings.is_dev:
        app.include_router(sms.dev_router)
    return app
