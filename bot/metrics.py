"""Prometheus metrics: messages handled, outbox depth and failures, send latency.

Each app has its own registry (no module-level globals), so two apps in one process, as
in the tests, count separately.
"""
from __future__ import annotations

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, generate_latest
from sqlmodel.ext.asyncio.session import AsyncSession

from models.outbox import status_counts


class Metrics:
    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        self.messages = Counter(
            "hamletbot_messages", "Incoming messages by command and outcome",
            ["command", "outcome"], registry=self.registry)
        self.send_seconds = Histogram(
            "hamletbot_send_seconds", "Time to send one reply or outbox row to a platform",
            ["platform"], registry=self.registry,
            buckets=(0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30))
        self.outbox = Gauge("hamletbot_outbox_rows", "Outbox rows by platform and status",
                            ["platform", "status"], registry=self.registry)

    async def render(self, *, session: AsyncSession) -> bytes:
        """The text exposition, with the outbox gauges read from the database now."""
        self.outbox.clear()
        for (platform, status), count in (await status_counts(session=session)).items():
            self.outbox.labels(platform, status).set(count)
        return generate_latest(self.registry)
