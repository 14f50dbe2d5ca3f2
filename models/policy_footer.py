"""What an answer rests on: the legal bases of the figures it uses, and since when they hold."""
from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from models.policy import Period


@dataclass(frozen=True)
class Footer:
    """What an answer rests on: the legal bases, and since when its figures hold unchanged."""
    periods: tuple[Period, ...]
    since: date
    unverified: bool

    @property
    def basis(self) -> str:
        return "; ".join(p.basis for p in self.cited)

    @property
    def cited(self) -> list[Period]:
        """One period per distinct legal basis, for the full reference."""
        return list({p.basis: p for p in reversed(self.periods)}.values())[::-1]

    @property
    def short(self) -> str:
        """The documents only, abbreviated: one short line on a phone."""
        names = dict.fromkeys(_short_name(m) for p in self.periods
                              for m in _DOCUMENT.findall(p.basis))
        return ", ".join(list(names)[:3]) + (", …" if len(names) > 3 else "")


_DOCUMENT = re.compile(r"Luật BHXH \d+/\d{4}/QH\d+|Luật BHYT|Luật \d+/\d{4}/QH\d+|"
                       r"Bộ luật Lao động \d{4}|Nghị định \d+/\d{4}/NĐ-CP|"
                       r"Quyết định \d+/\d{4}/QĐ-TTg")


def _short_name(document: str) -> str:
    return re.sub(r"/(QH\d+|NĐ-CP)", "", document).replace("Nghị định ", "NĐ ").replace(
        "Quyết định ", "QĐ ")
