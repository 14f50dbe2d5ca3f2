"""The App builds its parts once and closes them in one place: here, the log guard."""
from __future__ import annotations

import logging

from bot.app import running_app
from bot.logs import REDACTED


def _logged(text: str) -> str:
    return logging.getLogger("hamletbot.test").makeRecord(
        "hamletbot.test", logging.INFO, __file__, 1, text, (), None).getMessage()


async def test_the_app_redacts_logs_while_it_runs_and_no_longer(settings, clock):
    before = logging.getLogRecordFactory()
    async with running_app(settings, clock=clock) as app:
        app.log_guard.add("123456:secret-token")
        assert _logged("POST /bot123456:secret-token/getMe") == f"POST /bot{REDACTED}/getMe"
    assert logging.getLogRecordFactory() is before
    assert "secret-token" in _logged("POST /bot123456:secret-token/getMe")
