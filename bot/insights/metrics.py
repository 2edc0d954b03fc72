"""Prometheus metrics of the bot service (`GET /metrics`, loopback or METRICS_TOKEN only).

Counters and the turn-latency histogram live in this process; queue length and wait, SMS
delivery failures and outreach counts are read from the database when scraped.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from datetime import UTC, datetime

from prometheus_client import CollectorRegistry, Counter, Histogram
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector

log = logging.getLogger(__name__)
REGISTRY = CollectorRegistry()
FAILED_SMS = ("failed", "undelivered")

TURN_LATENCY = Histogram(
    "assistant_turn_latency_seconds", "A patient's message to the bot's answer, by channel.",
    ["channel"], registry=REGISTRY,
    buckets=(0.05, 0.1, 0.2, 0.3, 0.5, 0.75, 1.0, 2.0, 5.0, 10.0, 30.0))
ENGINE_ERRORS = Counter("assistant_engine_errors_total",
                        "Turns the engine did not answer (the patient got an apology).",
                        ["channel"], registry=REGISTRY)
BACKOFFICE_ERRORS = Counter("assistant_backoffice_errors_total",
                            "Requests the back office failed, as the action server reported.",
                            ["task"], registry=REGISTRY)


class DatabaseCollector(Collector):
    """Gauges read at scrape time, so every worker reports the same truth."""

    def describe(self) -> Iterator[GaugeMetricFamily]:
        return iter(())  # registering must not read the database (nothing runs at import)

    def collect(self) -> Iterator[GaugeMetricFamily]:
        from sqlalchemy import func, select

        from bot.db import get_sessionmaker
        from bot.handoff.models import Handoff, HandoffStatus
        from bot.insights.outreach import outreach_counts
        from channels.models import SmsMessage

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
