"""Benchmark: `/dangky 1` through the whole Zalo path against the fake Zalo server.

Each event goes fake server → ZaloChannel (getUpdates poll, or webhook POST with the secret
header) → dispatcher → one transaction on a SQLite file (WAL) → sendMessage back to the fake,
over real loopback HTTP. Both modes run; the webhook delivers one event at a time unless
--concurrency says otherwise.

Run:  python bench/zalo.py [--events 1000] [--concurrency 1]
Prints both modes and ends with `RESULT events_per_s=… polling_events_per_s=… p50_ms=… p99_ms=…`
(events_per_s and the percentiles are the webhook's).
"""
from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # for tests.fakes

from staffed import staffed_demo  # noqa: E402
from tests.fakes.zalo_api import FakeZalo  # noqa: E402
from tests.fakes.zalo_harness import running_zalo, text_event  # noqa: E402


class Env:
    """monkeypatch's setenv, for running_zalo outside pytest."""

    def setenv(self, name: str, value: str) -> None:
        os.environ[name] = value


async def run_mode(mode: str, events: int, staff: int, concurrency: int) -> tuple[float, list[float]]:
    fake = FakeZalo()
    await fake.start()
    async with staffed_demo("zalo", (f"z{i}" for i in range(staff))) as app:
        async with running_zalo(app, fake, mode, Env()) as zalo:
            for i in range(20):  # warm-up
                await zalo.deliver(text_event(f"z{i % staff}", "x", "/dangky 1"))
            batch = [text_event(f"z{i % staff}", "x", "/dangky 1") for i in range(events)]
            before = len(fake.sent())
            latencies: list[float] = []
            started = time.perf_counter()
            if mode == "polling":  # one event per getUpdates call, as Zalo serves them
                for event in batch:
                    fake.push(event)
                await fake.drained(timeout=600)
            else:
                queue = list(reversed(batch))

                async def worker() -> None:
                    while queue:
                        event = queue.pop()
                        t0 = time.perf_counter()
                        assert await fake.deliver({"ok": True, "result": event}) == 200
                        latencies.append((time.perf_counter() - t0) * 1000)
                await asyncio.gather(*(worker() for _ in range(concurrency)))
            elapsed = time.perf_counter() - started
            answers = fake.sent()[before:]
    await fake.stop()
    assert len(answers) == events and all("Đã ghi nhận 1" in a["text"] for a in answers)
    return events / elapsed, sorted(latencies)


async def main(events: int, staff: int, concurrency: int) -> None:
    polling, _ = await run_mode("polling", events, staff, concurrency)
    webhook, latencies = await run_mode("webhook", events, staff, concurrency)
    p50 = statistics.median(latencies)
    p99 = latencies[int(len(latencies) * 0.99) - 1]
    print(f"events: {events} from {staff} staff, /dangky 1 each, one transaction each, SQLite WAL file")
    print(f"polling: {polling:.0f} events/s (one getUpdates call per event)")
    print(f"webhook: {webhook:.0f} events/s at concurrency {concurrency}; "
          f"p50 {p50:.2f} ms; p99 {p99:.2f} ms; max {latencies[-1]:.2f} ms")
    print(f"RESULT events_per_s={webhook:.0f} polling_events_per_s={polling:.0f} "
          f"p50_ms={p50:.2f} p99_ms={p99:.2f}")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=1000)
    parser.add_argument("--staff", type=int, default=20)
    parser.add_argument("--concurrency", type=int, default=1)
    args = parser.parse_args()
    asyncio.run(main(args.events, args.staff, args.concurrency))
