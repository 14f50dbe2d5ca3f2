"""Benchmark: `/dangky` through the real dispatcher, one transaction each.

Run:  python bench/dispatch.py [--messages 2000] [--db postgresql://user:pass@host/db]
                               [--concurrency 32]
On a SQLite file (WAL) by default; `--db` names a PostgreSQL database whose schema is
replaced. `--concurrency N` keeps N chats in flight at once (each chat's messages in order).
Prints latency percentiles and ends with
`RESULT msgs_per_s=… p50_ms=… p99_ms=… cpu_ms_per_msg=…` (this process's CPU time per message).
"""
from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import time
from datetime import datetime, timezone
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # bench.staffed uses tests/

from bench.staffed import staffed_demo  # noqa: E402
from handlers.types import Incoming  # noqa: E402


async def main(messages: int, staff: int, db: str, concurrency: int) -> None:
    staff = max(staff, concurrency)
    async with staffed_demo("bench", (f"s{i}" for i in range(staff)), db=db) as app:
        for i in range(50):  # warm-up: caches, prepared statements
            await app.dispatcher.handle(_msg(f"w{i}", i % staff))
        latencies: list[float] = []

        async def chat(lane: int) -> None:  # lane's messages: lane, lane + N, lane + 2N, ...
            for i in range(lane, messages, concurrency):
                t0 = time.perf_counter()
                replies = await app.dispatcher.handle(_msg(str(i), i % staff))
                latencies.append((time.perf_counter() - t0) * 1000)
                assert "Đã ghi nhận" in replies[0].text, replies

        started, cpu = time.perf_counter(), time.process_time()
        await asyncio.gather(*(chat(lane) for lane in range(concurrency)))
        elapsed, cpu = time.perf_counter() - started, time.process_time() - cpu
    latencies.sort()
    p50 = statistics.median(latencies)
    p99 = latencies[int(len(latencies) * 0.99) - 1]
    rate = messages / elapsed
    print(f"messages: {messages} from {staff} staff, {concurrency} in flight, one transaction "
          f"each, {'PostgreSQL' if db else 'SQLite WAL file'}")
    print(f"elapsed: {elapsed:.2f} s; p50 {p50:.2f} ms; p90 {latencies[int(len(latencies)*0.9)-1]:.2f} ms; "
          f"p99 {p99:.2f} ms; max {latencies[-1]:.2f} ms")
    # CPU time of this process per message: on a shared machine, steadier than the rate
    print(f"RESULT msgs_per_s={rate:.0f} p50_ms={p50:.2f} p99_ms={p99:.2f} "
          f"cpu_ms_per_msg={cpu * 1000 / messages:.2f}")


def _msg(message_id: str, staff: int) -> Incoming:
    return Incoming(platform="bench", chat_id=f"s{staff}", chat_kind="private", user_id=f"s{staff}",
                    display_name="x", text="/dangky 1", message_id=message_id,
                    time=datetime.now(timezone.utc))


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--messages", type=int, default=2000)
    parser.add_argument("--staff", type=int, default=20)
    parser.add_argument("--db", default="", help="a PostgreSQL URL (postgresql://user:pass@host/db)"
                        " to run on instead of a SQLite file; its schema is replaced")
    parser.add_argument("--concurrency", type=int, default=1,
                        help="chats in flight at once (default 1: sequential)")
    args = parser.parse_args()
    asyncio.run(main(args.messages, args.staff, args.db, args.concurrency))
