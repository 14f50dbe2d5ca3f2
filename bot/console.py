"""The console channel: try the bot from a terminal or a pipe, on the real production path.

Every line goes through the dispatcher, the database and the templates exactly as a
Telegram or Zalo message would. Lines starting with `:` steer the console itself:
`:group` (play a group chat), `:private`, `:edit TEXT` (edit the previous message),
`:quit`.
"""
from __future__ import annotations

import asyncio
import secrets
import sys
from pathlib import Path
from typing import Callable, TextIO

from bot.channels import OnMessage
from bot.choices import HINT_TEMPLATE
from bot.planner import Capabilities, File, Part, Photo, Text, plan
from bot.render import make_renderer
from handlers.types import Incoming, Reply

PLATFORM = "console"
BOT_USERNAME = "hamletbot"
META_HELP = (":group [ID]  play a group chat    :private  back to the private chat\n"
             ":edit TEXT   edit your last message  :quit     leave")


class ConsoleChannel:
    name = PLATFORM

    def __init__(self, *, user_id: str, display_name: str, clock: Callable,
                 stdin: TextIO | None = None, stdout: TextIO | None = None,
                 directory: Path | None = None) -> None:
        self.user_id = user_id
        self.directory = directory or Path.cwd()
        self.display_name = display_name
        self.clock = clock
        self.stdin, self.stdout = stdin or sys.stdin, stdout or sys.stdout
        self.interactive = self.stdin.isatty()
        # In a pipe the transcript stays short: no hint under numbered choices.
        self._render = make_renderer()
        hint = f"  {self._render(HINT_TEMPLATE)}" if self.interactive else ""
        self.capabilities = Capabilities(None, photo="upload", documents="upload", hint=hint)
        self.chat_id, self.chat_kind = f"private-{user_id}", "private"
        # Message ids must not repeat across runs: the database remembers handled ids.
        self._run = secrets.token_hex(3)
        self._count = 0
        self._last: tuple[str, str] | None = None  # (message id, chat id) of the last line
        self._images = 0

    async def start(self, on_message: OnMessage) -> None:
        """Read lines until end of input, answering each."""
        while True:
            if self.interactive:
                self.stdout.write("> ")
                self.stdout.flush()
            line = await asyncio.to_thread(self.stdin.readline)
            if not line:
                return
            line = line.rstrip("\n")
            if not self.interactive and line.strip():
                self.stdout.write(f"> {line}\n")
            if line.startswith(":"):
                word, _, rest = line[1:].partition(" ")
                if word == "quit":
                    return
                if word == "edit" and self._last:
                    await on_message(self._incoming(rest, edit_of=self._last))
                else:
                    self._meta(word, rest.strip())
            elif line.strip():
                await on_message(self._incoming(line))


    async def stop(self) -> None:
        return None

    async def send(self, chat_id: str, reply: Reply) -> None:
        lines = [self._line(part) for part in plan(reply, self.capabilities, channel=PLATFORM)]
        self.stdout.write("\n".join(lines) + "\n\n")
        self.stdout.flush()

    def _line(self, part: Part) -> str:
        if isinstance(part, File):  # saved where the console runs, like a download
            path = self.directory / part.document.name
            path.write_bytes(part.document.data)
            return f"  {self._render('common/console_saved.j2', kind='file', file=path)}"
        if isinstance(part, Photo):  # saved like a file, so it can be opened
            self._images += 1
            path = self.directory / f"hamletbot-{self._run}-{self._images}.png"
            path.write_bytes(part.image)
            return f"  {self._render('common/console_saved.j2', kind='image', file=path)}"
        return part.text if isinstance(part, Text) else ""

    def _incoming(self, text: str, *, edit_of: tuple[str, str] | None = None) -> Incoming:
        self._count += 1
        if edit_of:
            message_id, chat_id = edit_of
        else:
            message_id, chat_id = f"{self._run}-{self._count}", self.chat_id
            self._last = (message_id, chat_id)
        return Incoming(platform=PLATFORM, chat_id=chat_id, chat_kind=self.chat_kind,
                        user_id=self.user_id, display_name=self.display_name, text=text,
                        message_id=message_id, time=self.clock(), is_edit=edit_of is not None,
                        edit_id=f"{self._run}-{self._count}" if edit_of else "",
                        bot_username=BOT_USERNAME,
                        addressed_to_bot=f"@{BOT_USERNAME}" in text.lower())

    def _meta(self, word: str, rest: str) -> None:
        if word == "group":
            self.chat_id, self.chat_kind = f"group-{rest or 'demo'}", "group"
            self.stdout.write(f"(in group chat {self.chat_id})\n")
        elif word == "private":
            self.chat_id, self.chat_kind = f"private-{self.user_id}", "private"
            self.stdout.write("(in the private chat)\n")
        else:
            self.stdout.write(META_HELP + "\n")
