"""The engine's `events` table (Rasa's SQL tracker store), as Rasa 3.6 creates it.

Rasa's, not ours: no Alembic migration, never in `bot.db.Base.metadata`, and only ever read.
`data` is the event's JSON (`Event.as_dict()`); `action_name` is the event's `name`, so slot
and active-loop events carry one too.
"""

from sqlalchemy import Column, Float, Integer, MetaData, String, Table, Text

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
