"""FAQ commands: `hamletbot ask QUESTION` and `hamletbot faq-eval FILE` (no database), and
`hamletbot faq report`."""
from __future__ import annotations

import asyncio
import json
from collections import Counter
from datetime import date, datetime
from pathlib import Path
from typing import Any, Callable

import click

from bot.cli_settings import settings_of

OFF_TOPIC = {None, "", "none", "null"}


def evaluate(rows: list[dict], matcher) -> list[str]:
    """The report lines; the last is `RESULT accuracy=… none_precision=… none_recall=…`."""
    expected = [None if r.get("topic") in OFF_TOPIC else r["topic"] for r in rows]
    got = [_topic(matcher.match(r["q"])) for r in rows]
    total = len(rows)
    correct = sum(e == g for e, g in zip(expected, got))
    lines = [f"questions: {total}", f"top-1 accuracy: {correct}/{total} = {_ratio(correct, total):.3f}",
             "per-topic recall:"]
    for topic in sorted({e for e in expected if e}):
        n = sum(e == topic for e in expected)
        hit = sum(e == g == topic for e, g in zip(expected, got))
        lines.append(f"  {topic:<12} {hit}/{n} = {_ratio(hit, n):.3f}")
    none_true = sum(e is None for e in expected)
    none_pred = sum(g is None for g in got)
    none_hit = sum(e is None and g is None for e, g in zip(expected, got))
    none_precision = _ratio(none_hit, none_pred)
    none_recall = _ratio(none_hit, none_true)
    lines.append(f"off-topic precision: {none_hit}/{none_pred} = {none_precision:.3f}")
    lines.append(f"off-topic recall: {none_hit}/{none_true} = {none_recall:.3f}")
    confusions = Counter((e or "none", g or "none") for e, g in zip(expected, got) if e != g)
    lines.append("confusions (expected -> got):" if confusions else "confusions: none")
    for (e, g), n in confusions.most_common():
        lines.append(f"  {e} -> {g}: {n}")
        for r, ee, gg in zip(rows, expected, got):
            if (ee or "none", gg or "none") == (e, g):
                lines.append(f"      {r['q']}")
    lines.append(f"RESULT accuracy={_ratio(correct, total):.3f} "
                 f"none_precision={none_precision:.3f} none_recall={none_recall:.3f}")
    return lines


def _topic(match: Any) -> str | None:
    """Small talk is no topic: at topic level it counts as off-topic."""
    return None if match.topic == "smalltalk" else match.topic


def _ratio(a: int, b: int) -> float:
    return a / b if b else 1.0


def read_jsonl(path: Path) -> list[dict]:
    with open(path, encoding="utf-8") as f:
        return [json.loads(line) for line in f if line.strip()]


def _today() -> date:
    """Today in the configured time zone."""
    return datetime.now(settings_of(click.get_current_context()).bot.tz).date()


DATE = click.DateTime(formats=["%Y-%m-%d"])


def _answerer():
    """The question -> reply path of /hoi, on its own: policy, matcher, templates."""
    from bot.render import make_renderer
    from handlers.faq import Faq, answer_question
    from models.policy import PolicyError, load_policy
    try:
        policy = load_policy()
    except PolicyError as e:
        raise click.ClickException(str(e)) from None
    faq, render = Faq.load(), make_renderer()
    return faq.matcher, lambda text, day: answer_question(text, day, policy, faq, render)


@click.command("ask")
@click.option("--date", "day", type=DATE, help="Answer as on this day (YYYY-MM-DD). Default: today.")
@click.argument("question", nargs=-1, required=True)
def ask(day: datetime | None, question: tuple[str, ...]) -> None:
    """Print the answer /hoi gives to QUESTION on that day, with its buttons."""
    _, answer = _answerer()
    done = answer(" ".join(question), day.date() if day else _today())
    click.echo(f"[{done.answer or 'none'} score={done.score:.2f}]")
    for reply in done.replies:
        click.echo(reply.text)
        for choice in reply.choices:
            click.echo(f"  [{choice.label}] → {choice.payload}")


@click.command("faq-eval")
@click.option("--date", "day", type=DATE,
              help="Also render every answer as on this day (YYYY-MM-DD) and count failures.")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
def faq_eval(file: Path, day: datetime | None) -> None:
    """Score the FAQ matcher on a JSONL file of {"q": ..., "topic": ... or "none"}; rows with
    "expect" (and "date") also check that the reply on that date contains that figure."""
    matcher, answer = _answerer()
    rows = read_jsonl(file)
    lines = evaluate(rows, matcher)
    if day is not None:
        failed = [r["q"] for r in rows if not _renders(answer, r["q"], day.date())]
        lines[-1:-1] = [f"answers rendered on {day.date()}: {len(rows) - len(failed)}/{len(rows)}",
                        *(f"      {q}" for q in failed)]
    personal = [r for r in rows if "expect" in r]
    if personal:
        wrong = [r for r in personal if not figure_right(answer, r, day)]
        right = len(personal) - len(wrong)
        lines[-1:-1] = [f"figure right: {right}/{len(personal)} = {_ratio(right, len(personal)):.3f}",
                        *(f"      {r['q']} (expected {r['expect']})" for r in wrong)]
        lines[-1] += f" figures={_ratio(right, len(personal)):.3f}"
    for line in lines:
        click.echo(line)


def figure_right(answer, row: dict, day: datetime | None = None) -> bool:
    """A personalised row {"q", "expect", "date"?}: the /hoi reply on the row's date (else
    --date, else today) contains the expected figure."""
    when = date.fromisoformat(row["date"]) if "date" in row else day.date() if day else _today()
    return any(row["expect"] in r.text for r in answer(row["q"], when).replies)


def _renders(answer, question: str, day: date) -> bool:
    try:
        return all(r.text.strip() for r in answer(question, day).replies)
    except Exception:  # noqa: BLE001 - counted and listed: the point is to find them
        return False


def make_faq_group(open_session: Callable[[click.Context], Any]) -> click.Group:
    """`faq report`; `open_session(ctx)` gives an async context manager yielding a session."""

    @click.group("faq")
    def faq() -> None:
        """FAQ content tools."""

    @faq.command("report")
    @click.option("--limit", default=20, show_default=True, help="How many questions.")
    @click.pass_context
    def report(ctx: click.Context, limit: int) -> None:
        """The most frequent questions the bot could not match, to grow the FAQ."""
        from models.faq_queries import unmatched_report

        async def run() -> list[tuple[str, int]]:
            async with open_session(ctx) as session:
                return await unmatched_report(session=session, limit=limit)

        rows = asyncio.run(run())
        if not rows:
            click.echo("No unmatched questions logged.")
        for question, count in rows:
            click.echo(f"{count:>5}  {question}")

    return faq
