"""The one retry back-off: the outbox sender's retries and the channels' failed polls."""
from __future__ import annotations

import random
from dataclasses import dataclass
from typing import Callable

_MAX_DOUBLINGS = 60  # 2**60 × any base is past every cap; keeps the float finite


@dataclass(frozen=True)
class Backoff:
    base: float  # seconds after the first failure
    cap: float  # never longer than this
    rand: Callable[[], float] = random.random  # injectable: tests pass a seeded one

    def delay(self, failures: int) -> float:
        """Seconds to wait after `failures` failures in a row: doubling, capped, jittered to
        50–100 % (half fixed, half random) so several instances do not retry in step."""
        doublings = min(max(failures - 1, 0), _MAX_DOUBLINGS)
        return min(self.cap, self.base * 2 ** doublings) * (0.5 + self.rand() / 2)
