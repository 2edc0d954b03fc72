"""Every table of the bot service, imported in one place for Alembic and tests."""

from bot.backoffice.models import *  # noqa: F403
from channels.models import SmsMessage  # noqa: F401
