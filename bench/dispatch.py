"""Benchmark: `/dangky` through the real dispatcher on a SQLite file (WAL), one transaction each.

Run:  python bench/dispatch.py [--messages 2000]
Prints latency percentiles and ends with `RESULT msgs_per_s=… p50_ms=… p99_ms=…`.
"""
from __future__ import annotations

import argparse
import asyncio
import statistics
import time
from datetime import datetime, timezone

from staffed import staffed_demo

from handlers.types import Incoming


async def main(messages: int, staff: int) -> None:
    async with staffed_demo("bench", (f"s{i}" for i in range(staff))) as app:
        for i in range(50):  # warm-up: caches, prepared statements
            await app.dispatcher.handle(_msg(f"w{i}", i % staff))
        latencies = []
        started = time.perf_counter()
        for i in range(messages):
            t0 = time.perf_counter()
            replies = await app.dispatcher.handle(_msg(str(i), i % staff))
            latencies.append((time.perf_counter() - t0) * 1000)
            assert "Đã ghi nhận" in replies[0].text, replies
        elapsed = time.perf_counter() - started
    latencies.sort()
    p50 = statistics.median(latencies)
    p99 = latencies[int(len(latencies) * 0.99) - 1]
    rate = messages / elapsed
    print(f"messages: {messages} from {staff} staff, one transaction each, SQLite WAL file")
    print(f"elapsed: {elapsed:.2f} s; p50 {p50:.2f} ms; p90 {latencies[int(len(latencies)*0.9)-1]:.2f} ms; "
          f"p99 {p99:.2f} ms; max {latencies[-1]:.2f} ms")
    print(f"RESULT msgs_per_s={rate:.0f} p50_ms={p50:.2f} p99_ms={p99:.2f}")


def _msg(message_id: str, staff: int) -> Incoming:
    return Incoming(platform="bench", chat_id=f"s{staff}", chat_kind="private", user_id=f"s{staff}",
                    display_name="x", text="/dangky 1", message_id=message_id,
                    time=datetime.now(timezone.utc))


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--messages", type=int, default=2000)
    parser.add_argument("--staff", type=int, default=20)
    args = parser.parse_args()
    asyncio.run(main(args.messages, args.staff))
