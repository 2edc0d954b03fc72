"""Prometheus metrics of the bot service (`GET /metrics`, loopback or METRICS_TOKEN only).

Counters and the turn-latency histogram live in this process; queue length and wait, SMS
delivery failures and outreach counts are read from the database when scraped
(`bot.reports.gauges`, registered by the routes that serve them).
"""

from __future__ import annotations

from prometheus_client import CollectorRegistry, Counter, Histogram

REGISTRY = CollectorRegistry()

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
