"""The engine's tracker store as the bot service reads it: where it is, and its `events`
table as Rasa 3.6 creates it (read by review, insights and retention).

Rasa's, not ours: no Alembic migration, never in `bot.db.Base.metadata`, and only ever read.
`data` is the event's JSON (`Event.as_dict()`); `action_name` is the event's `name`, so slot
and active-loop events carry one too.
"""

from sqlalchemy import Column, Float, Integer, MetaData, String, Table, Text

from bot.settings import Settings

EVENTS = Table(
    "events",
    MetaData(),
    Column("id", Integer, primary_key=True),
    Column("sender_id", String(255), nullable=False, index=True),
    Column("type_name", String(255), nullable=False),
    Column("timestamp", Float),
    Column("intent_name", String(255)),
    Column("action_name", String(255)),
    Column("data", Text),
)


def tracker_url(settings: Settings) -> str:
    target = settings.engine_tracker_db
    return target if "://" in target else f"sqlite:///{target}"
