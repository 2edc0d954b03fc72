"""Every table of the bot service, imported in one place for Alembic and tests."""

from bot.agents.models import Agent  # noqa: F401
from bot.audit.models import AuditEvent  # noqa: F401
from bot.backoffice.models import *  # noqa: F403
from bot.conversations.models import TranscriptEntry  # noqa: F401
from bot.desk.tools.models import FollowUp, HandoffNote, SavedReply  # noqa: F401
from bot.handoff.models import Handoff  # noqa: F401
from bot.insights.models import Episode, InsightEvent  # noqa: F401
from bot.outreach.models import OutreachMessage, OutreachPatient  # noqa: F401
from channels.models import InboundSms, SmsMessage  # noqa: F401
