"""Log output: JSON lines when configured, plain text by default."""
from __future__ import annotations

import json
import logging

import pytest

from bot.config import LoggingSettings
from bot.logs import QUIET, JsonFormatter, configure


@pytest.fixture(autouse=True)
def restore_levels():
    """configure() quiets libraries for the process; later tests log them at DEBUG."""
    before = {name: logging.getLogger(name).level for name in ("", *QUIET)}
    yield
    for name, level in before.items():
        logging.getLogger(name).setLevel(level)


def test_json_lines():
    record = logging.LogRecord("hamletbot.test", logging.WARNING, __file__, 1,
                               "queued %d replies for %s", (2, "telegram:42"), None)
    line = JsonFormatter().format(record)
    entry = json.loads(line)
    assert entry["level"] == "WARNING" and entry["logger"] == "hamletbot.test"
    assert entry["message"] == "queued 2 replies for telegram:42"
    assert entry["time"].endswith("+00:00") and "\n" not in line


def test_configure_picks_the_format():
    configure(LoggingSettings(format="json"))
    assert isinstance(logging.getLogger().handlers[0].formatter, JsonFormatter)
    configure(LoggingSettings())
    assert not isinstance(logging.getLogger().handlers[0].formatter, JsonFormatter)
    assert logging.getLogger("httpx").level >= logging.WARNING
