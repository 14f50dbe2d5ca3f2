"""bot/splitting.py: long replies cut on line boundaries, never over the limit."""
import pytest

from bot.splitting import split_text


@pytest.mark.parametrize("text, limit, expected", [
    ("ngắn", 10, ["ngắn"]),
    ("", 10, [""]),
    ("aaa\nbbb\nccc", 7, ["aaa\nbbb", "ccc"]),
    ("aaa\nbbb\nccc", 3, ["aaa", "bbb", "ccc"]),
    ("một hai ba bốn", 7, ["một hai", "ba bốn"]),
    ("x" * 25, 10, ["x" * 10, "x" * 10, "x" * 5]),
    ("aaa\n\n\nbbb", 4, ["aaa", "bbb"]),
    ("dòng một\n" + "a b c d e f", 9, ["dòng một", "a b c d e", "f"]),
])
def test_split_table(text, limit, expected):
    assert split_text(text, limit) == expected


def test_every_part_fits_and_lines_survive():
    lines = [f"Dòng số {i}: " + "ấp " * (i % 40) for i in range(400)]
    text = "\n".join(lines)
    parts = split_text(text, 4096)
    assert len(parts) > 1
    assert all(0 < len(p) <= 4096 for p in parts)
    assert "\n".join(parts) == text  # only whole lines were cut here


def test_limit_must_be_positive():
    with pytest.raises(ValueError):
        split_text("a", 0)
