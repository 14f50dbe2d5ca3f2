"""What a resident says about their own case, read from the question: birth year or age,
sex, household size, income, time paid, a month (of a death or a birth), support group,
payment period. Pure text work: no policy figures, no platform."""
from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date

from handlers.money import AMOUNT, MILLION, THOUSAND, amount_of
from handlers.text import fold

NUMBER_WORDS = {"mot": 1, "hai": 2, "ba": 3, "bon": 4, "tu": 4, "nam": 5, "sau": 6, "bay": 7,
                "tam": 8, "chin": 9, "muoi": 10}
_NUM = r"([0-9]{1,3}|" + "|".join(NUMBER_WORDS) + r")"
# Words naming the person asked about, with diacritics (folded "ba" is both bà and ba).
FEMALE = {"nữ", "vợ", "má", "mẹ", "bà", "chị", "cô", "dì", "thím", "mợ", "bả", "bầm", "u"}
MALE = {"ông", "chồng", "tía", "ba", "bố", "cha", "anh", "chú", "cậu", "ổng", "bác"}
ADDRESS = re.compile(r"\b(anh|chị|em|bác|cô|chú)\s*(ơi|oi|à|ạ)\b|\banh\s*/?\s*chị\b")
UNIT_AFTER = re.compile(r"\s*(năm|nam|tháng|thang|người|nguoi|tuổi|tuoi|triệu|trieu|con|lần)\b")
FOR_RELATIVE = re.compile(r"\b(cho|giup|dum|ho)\s+(ma|me|ba|bo|cha|tia|ong|ba|vo|chong|con|anh|chi|"
                          r"em|nguoi nha|nguoi than|bac|chu|co|di|cau)\b")
PENSION_WORDS = re.compile(r"\b(luong huu|lanh|linh|ve gia|ve huu|nghi huu|huu)\b")
GROUPS = [(r"can ngheo", "near_poor"), (r"ngheo", "poor"), (r"xa dao|dac khu|huyen dao", "poor"),
          (r"dan toc", "ethnic_minority")]


@dataclass(frozen=True)
class Slots:
    birth_year: int | None = None
    birth_month: int | None = None
    age: int | None = None
    sex: str | None = None  # "male" / "female"
    household: int | None = None
    income: int | None = None
    paid_months: int | None = None
    month: date | None = None  # first day of the month named (of a death, of a birth)
    group: str | None = None  # a voluntary SI support group
    period: int | None = None  # a payment period in months (3, 6, 12)
    for_relative: bool = False  # paying for someone else ("đóng cho má")
    pension_words: bool = False  # speaks of drawing a pension ("lãnh", "lương hưu", "về già")
    babies: int | None = None  # twins or triplets at one birth


def slot_text(s: Slots, room: int) -> str:
    """The slots as words read_slots reads back, at most `room` bytes (for a button's payload,
    which Telegram caps at 64 bytes): a clarifying choice keeps what the question said."""
    born = f"{s.birth_month}/{s.birth_year}" if s.birth_month else str(s.birth_year)
    parts = [f"sinh {born}" if s.birth_year else "",
             {"female": "nu", "male": "dan ong"}.get(s.sex or "", ""),
             f"{s.household} nguoi" if s.household else "",
             f"{s.income // 1000}k" if s.income else "",
             f"dong {s.paid_months} thang" if s.paid_months else "",
             f"thang {s.month.month}/{s.month.year}" if s.month else "",
             {"poor": "ho ngheo", "near_poor": "can ngheo", "ethnic_minority": "dan toc"}.get(
                 s.group or "", "")]
    text = ""
    for part in filter(None, parts):
        if len((text + " " + part).encode()) <= room:
            text = f"{text} {part}".strip()
    return text


def read_slots(question: str, today: date) -> Slots:
    text = question.lower()
    folded = fold(question)
    age = _age(folded)
    born = _birth_date(folded)
    birth_month, birth_year = born[:2] if born else (None, _birth_year(folded))
    if born:  # the birth date is not the month of an event
        folded = folded[:born[2].start()] + " " + folded[born[2].end():]
    if birth_year is None and age is not None:
        birth_year = today.year - age
    return Slots(birth_year=birth_year, birth_month=birth_month, age=age, sex=_sex(text, folded),
                 household=_household(folded), income=_income(folded),
                 paid_months=_paid_months(folded), month=_month(folded, today),
                 group=_group(folded), period=_period(folded),
                 for_relative=bool(FOR_RELATIVE.search(folded)),
                 pension_words=bool(PENSION_WORDS.search(folded)), babies=_babies(folded))


def _number(word: str) -> int:
    return int(word) if word.isascii() and word.isdigit() else NUMBER_WORDS[word]


def _birth_date(folded: str) -> tuple[int, int, re.Match] | None:
    """'sinh 2/1966', 'sinh ngày 5/2/1966', 'sinh tháng 2 năm 1966', 'sinh năm 1966 tháng 2'."""
    m = re.search(r"\b(?:sinh|sn)\s*(?:ngay\s*[0-9]{1,2}\s*[/.-]\s*|thang\s*)?([0-9]{1,2})\s*"
                  r"(?:[/.-]|nam)\s*(19[0-9]{2}|20[0-2][0-9])\b", folded)
    if m:
        month, year = int(m.group(1)), int(m.group(2))
    else:
        m = re.search(r"\b(?:sinh|sn)\s*(?:nam\s*)?(19[0-9]{2}|20[0-2][0-9])\s*,?\s*thang\s*"
                      r"([0-9]{1,2})\b", folded)
        if not m:
            return None
        year, month = int(m.group(1)), int(m.group(2))
    return (month, year, m) if 1 <= month <= 12 else None


def _birth_year(folded: str) -> int | None:
    m = re.search(r"\b(?:sinh|sn|nam sinh|ns)\s*(?:nam|ngay [0-9/.-]+)?\s*(19[0-9]{2}|20[0-2][0-9]|[0-9]{2})\b",
                  folded)
    if m:
        year = int(m.group(1))
        return year + 1900 if year < 100 else year
    m = re.search(r"(?<![0-9/.])(19[3-9][0-9]|200[0-9])(?![0-9/.])", folded)
    return int(m.group(1)) if m else None


def _age(folded: str) -> int | None:
    m = re.search(r"\b([0-9]{1,3})\s*(?:tuoi|t)\b", folded)
    return int(m.group(1)) if m and 0 < int(m.group(1)) < 120 else None


def _sex(text: str, folded: str) -> str | None:
    if re.search(r"\b(nữ|phụ nữ|đàn bà|con gái|nu)\b", text):
        return "female"
    if re.search(r"\b(dan ong|con trai)\b", folded) or any(
            _is_male_nam(text, m) for m in re.finditer(r"\bnam\b", text)):
        return "male"
    text = ADDRESS.sub(" ", text)
    text = re.sub(r"\bông xã\b", "chồng", re.sub(r"\bbà xã\b", "vợ", text))
    for m in re.finditer(r"[^\W\d_]+", text):
        word = m.group(0)
        if word in FEMALE:
            return "female"
        if word in MALE and not (word == "ba" and UNIT_AFTER.match(text, m.end())):
            return "male"
    return None


def _is_male_nam(text: str, m: re.Match) -> bool:
    """'nam' typed for nam (male), not for năm (year) written without diacritics."""
    before, after = text[:m.start()], text[m.end():]
    if re.search(r"((?<![0-9])[0-9]{1,2}|\b(viet|mien|hang|moi|cac|nhieu|may|bao nhieu))\s*$",
                 before):
        return False
    if re.match(r"\s*sinh\b", after):
        return bool(re.search(r"\bsinh\s*nam\b", after))
    return not re.match(r"\s*([0-9]|nay|ngoai|sau|toi|truoc|nua|roi)", after)


def _household(folded: str) -> int | None:
    m = re.search(r"\bvo chong\b(?:.{0,20}?\b" + _NUM + r"\s*(?:dua\s*)?(?:con|chau)\b)?", folded)
    if m:
        return 2 + (_number(m.group(1)) if m.group(1) else 0)
    m = re.search(r"\b" + _NUM + r"\s*(?:nguoi|thanh vien|mang|khau|nhan khau|dua)\b", folded)
    if m:
        return _number(m.group(1))
    m = re.search(r"\b(?:nha|ho|gia dinh)\s*(?:co|gom)?\s*" + _NUM + r"\b(?!\s*(?:tuoi|nam|thang))",
                  folded)
    return _number(m.group(1)) if m else None


def _income(folded: str) -> int | None:
    text = re.sub(r"\b(trieu|tr)\s*ruoi\b", r"\1 5", folded)
    for m in AMOUNT.finditer(text):
        number, unit, tail = m.group(1), m.group(2), m.group(3) or ""
        if unit in MILLION or unit in THOUSAND or re.fullmatch(r"[0-9]{1,3}([.,][0-9]{3}){2,}", number):
            if unit in THOUSAND and not tail and int(re.sub(r"\D", "", number) or 0) < 100:
                continue
            value = amount_of(number, unit, tail if unit in MILLION else "")
            if value:
                return value
    return None


def _paid_months(folded: str) -> int | None:
    folded = re.sub(r"\bnam ruoi\b", "nam 6 thang", folded)
    m = re.search(r"(?<!thang )\b([0-9]{1,2})\s*nam(?:\s*(?:va\s*)?([0-9]{1,2})\s*thang)?\b"
                  r"(?!\s*(?:nua|toi|sau))", folded)
    months = None
    if m and int(m.group(1)) < 60:
        months = int(m.group(1)) * 12 + int(m.group(2) or 0)
    else:
        m = re.search(r"(?<!thang )\b([0-9]{1,3})\s*thang\b", folded)
        months = int(m.group(1)) if m else None
    if months is None and re.search(r"\bnua nam\b", folded):
        months = 6
    return months


MONTH_WORDS = {"gieng": 1, "hai": 2, "ba": 3, "tu": 4, "nam": 5, "sau": 6, "bay": 7,
               "tam": 8, "chin": 9, "muoi": 10, "muoi mot": 11, "chap": 12}
_MONTH_WORD = r"(muoi mot|" + "|".join(k for k in MONTH_WORDS if k != "muoi mot") + r")"
YEAR_SHIFT = {"nay": 0, "ngoai": -1, "truoc": -1, "sau": 1, "toi": 1}


def _month(folded: str, today: date) -> date | None:
    """The month of an event named in the question ('tháng 5', 'tháng 5/2026', '15/5/2026',
    'tháng năm năm ngoái', 'tháng trước'), as the first day of that month."""
    m = re.search(r"\b(?:[0-9]{1,2}\s*[/.-]\s*)?([0-9]{1,2})\s*[/.-]\s*(20[0-9]{2})\b", folded) \
        or re.search(r"\bthang\s*([0-9]{1,2}|" + _MONTH_WORD[1:] + r"\b(?!\s*(?:nguoi|thang))"
                     r"(?:\s*(?:/|nam|-)\s*(20[0-9]{2}|nay|ngoai|sau|toi|truoc))?", folded)
    if m:
        month = int(m.group(1)) if m.group(1).isascii() and m.group(1).isdigit() else MONTH_WORDS[m.group(1)]
        if not 1 <= month <= 12:
            return None
        year = m.group(2) or ""
        if year.isascii() and year.isdigit():
            return date(int(year), month, 1)
        said = re.search(r"\bnam (nay|ngoai|truoc|sau|toi)\b", folded)
        shift = YEAR_SHIFT.get(year or (said.group(1) if said else ""))
        if shift is not None:
            return date(today.year + shift, month, 1)
        future = re.search(r"\b(du sinh|sap sinh|se sinh|du kien|chuan bi sinh|sap)\b", folded)
        year_ = today.year + (month < today.month if future else -(month > today.month))
        return date(year_, month, 1)
    if re.search(r"\bthang (truoc|roi)\b", folded):
        return date(today.year - (today.month == 1), (today.month - 2) % 12 + 1, 1)
    if re.search(r"\b(thang nay|hom qua|hom nay|moi (mat|qua doi)|vua (mat|qua doi))\b", folded):
        return date(today.year, today.month, 1)
    return None


def _babies(folded: str) -> int | None:
    if re.search(r"\b(sinh doi|song sinh|cap song|thai doi|2 be|hai be)\b", folded):
        return 2
    if re.search(r"\b(sinh ba|3 be|ba be)\b(?!\s*(?:thang|nam|tuoi|nguoi))", folded):
        return 3
    return None


def _group(folded: str) -> str | None:
    return next((g for pattern, g in GROUPS if re.search(r"\b" + pattern + r"\b", folded)), None)


def _period(folded: str) -> int | None:
    if re.search(r"\b(3 thang|ba thang|quy|1 quy|mot quy)\b", folded):
        return 3
    if re.search(r"\b(6 thang|sau thang|nua nam)\b", folded):
        return 6
    if re.search(r"\b(12 thang|1 nam|mot nam|ca nam)\b", folded):
        return 12
    return None
