"""Gauges of `GET /metrics` read from the database at scrape time (queue length and wait,
SMS delivery failures, outreach counts), so every worker reports the same truth."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from datetime import UTC, datetime

from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector
from sqlalchemy import func, select

from bot.db import get_sessionmaker
from bot.handoff.models import Handoff, HandoffStatus
from bot.insights.metrics import REGISTRY
from bot.insights.outreach import outreach_counts
from channels.models import SmsMessage

log = logging.getLogger(__name__)
FAILED_SMS = ("failed", "undelivered")


class DatabaseCollector(Collector):
    """Gauges read at scrape time, so every worker reports the same truth."""

    def describe(self) -> Iterator[GaugeMetricFamily]:
        return iter(())  # registering must not read the database (nothing runs at import)

    def collect(self) -> Iterator[GaugeMetricFamily]:
        length = GaugeMetricFamily("assistant_queue_length",
                                   "Handoffs waiting for an agent.", labels=["urgency"])
        wait = GaugeMetricFamily("assistant_queue_oldest_wait_seconds",
                                 "How long the longest-waiting handoff has waited.")
        outreach = GaugeMetricFamily("assistant_outreach_messages",
                                     "Outreach messages by what happened (F's tables).",
                                     labels=["state"])
        failures = GaugeMetricFamily("assistant_sms_delivery_failures",
                                     "Outbound SMS Twilio reported failed or undelivered.")
        try:
            with get_sessionmaker()() as session:
                rows = session.execute(
                    select(Handoff.urgency, func.count(), func.min(Handoff.created_at))
                    .where(Handoff.status == HandoffStatus.waiting).group_by(Handoff.urgency)
                ).all()
                oldest = None
                for urgency, count, first in rows:
                    length.add_metric([urgency.value], count)
                    oldest = first if oldest is None or first < oldest else oldest
                wait.add_metric([], (datetime.now(UTC) - oldest).total_seconds()
                                if oldest else 0.0)
                failures.add_metric([], session.scalar(
                    select(func.count()).select_from(SmsMessage)
                    .where(SmsMessage.status.in_(FAILED_SMS))) or 0)
                for name, value in outreach_counts(session).items():
                    outreach.add_metric([name], value)
        except Exception:
            log.exception("metrics: could not read the database")
            return
        yield length
        yield wait
        yield failures
        yield outreach


REGISTRY.register(DatabaseCollector())
