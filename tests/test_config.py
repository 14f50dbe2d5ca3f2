"""Settings: the example file works as is; bad keys are named; placeholders are refused."""
from __future__ import annotations

from pathlib import Path

import pytest

from bot.config import ConfigError, Settings, load_settings

EXAMPLE = Path(__file__).resolve().parent.parent / "config.example.toml"


def test_example_file_equals_the_defaults():
    assert load_settings(EXAMPLE) == Settings()


def test_defaults_run_the_console_on_sqlite(monkeypatch):
    monkeypatch.delenv("HAMLETBOT_TELEGRAM_TOKEN", raising=False)
    monkeypatch.delenv("HAMLETBOT_ZALO_TOKEN", raising=False)
    settings = load_settings(None)
    assert settings.active_channels() == ["console"]
    assert settings.database.url.startswith("sqlite+aiosqlite:///")
    settings.check_secrets()


@pytest.mark.parametrize("text,key", [
    ("[reporting]\nundo_hours = 0\n", "reporting.undo_hours"),
    ("[reporting]\nconfirm_above = 900\n", "reporting"),
    ("[database]\nurl = \"mysql://x\"\n", "database.url"),
    ("[bot]\ntimezone = \"Mars/Olympus\"\n", "bot.timezone"),
    ("[bot]\nchanels = []\n", "bot.chanels"),
    ("[telegram]\nmode = \"push\"\n", "telegram.mode"),
])
def test_bad_values_name_the_key(tmp_path, text, key):
    path = tmp_path / "c.toml"
    path.write_text(text)
    with pytest.raises(ConfigError) as err:
        load_settings(path)
    assert key in str(err.value)


def test_not_toml(tmp_path):
    path = tmp_path / "c.toml"
    path.write_text("[bot\n")
    with pytest.raises(ConfigError, match="not valid TOML"):
        load_settings(path)


def test_placeholder_token_is_refused(monkeypatch):
    monkeypatch.setenv("HAMLETBOT_TELEGRAM_TOKEN", "changeme")
    with pytest.raises(ConfigError, match="HAMLETBOT_TELEGRAM_TOKEN holds an example placeholder"):
        load_settings(None).active_channels()


def test_configured_channel_needs_its_token(monkeypatch, tmp_path):
    monkeypatch.delenv("HAMLETBOT_TELEGRAM_TOKEN", raising=False)
    path = tmp_path / "c.toml"
    path.write_text('[bot]\nchannels = ["telegram"]\n')
    with pytest.raises(ConfigError, match="telegram.token_env"):
        load_settings(path).check_secrets()


def test_secret_value_never_in_errors(monkeypatch, tmp_path):
    monkeypatch.setenv("HAMLETBOT_TELEGRAM_TOKEN", "123:real-secret-token")
    path = tmp_path / "c.toml"
    path.write_text('[bot]\nchannels = ["telegram"]\n[telegram]\nmode = "webhook"\n'
                    'webhook_secret_env = "NOPE_UNSET"\n')
    with pytest.raises(ConfigError) as err:
        load_settings(path).check_secrets()
    assert "real-secret-token" not in str(err.value)


@pytest.mark.parametrize("table", ['[telegram]\nbase_url = "http://127.0.0.1:8081/bot"\n',
                                   '[zalo]\nmode = "webhook"\n'])
def test_a_platform_table_with_one_key_keeps_the_other_defaults(tmp_path, table):
    path = tmp_path / "c.toml"
    path.write_text(table)
    settings = load_settings(path)
    assert settings.telegram.token_env == "HAMLETBOT_TELEGRAM_TOKEN"
    assert settings.zalo.token_env == "HAMLETBOT_ZALO_TOKEN"
    assert settings.zalo.base_url.startswith(("https://bot-api.zaloplatforms.com", "http://"))
