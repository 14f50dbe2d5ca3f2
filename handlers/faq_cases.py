"""Per-answer data for the templates: the computed figures for the resident's own case, and
the more specific answer a topic's overview becomes when the question carries the slots."""
from __future__ import annotations

from datetime import timedelta
from typing import Any, Callable

from handlers import faq_compute as compute
from handlers.faq_slots import Slots
from models.policy import Policy, PolicyView

# Support groups of voluntary SI as residents know them (the 50 % group also covers island
# communes and special zones, Decree 159/2025).
GROUP_NAMES = {"poor": "Hộ nghèo, người ở xã đảo, đặc khu", "near_poor": "Hộ cận nghèo",
               "ethnic_minority": "Người dân tộc thiểu số", "other": "Người khác"}
SEX_NAMES = {"female": "nữ", "male": "nam"}
WARN_DAYS = 92  # a change of the poverty line is announced this many days ahead

Data = dict[str, Any]


def refine(answer: str, s: Slots) -> str:
    """A topic's overview asked with the details of one's own case gets the computed answer;
    years paid, an income and pension words mean the pension estimate, whatever the
    contribution answer the words also fit."""
    if s.paid_months and s.paid_months >= 12 and s.income and s.pension_words and \
            answer.split(".")[0] in ("huu_tri", "muc_dong"):
        return "huu_tri.muc_luong"
    if not answer.endswith(".overview"):
        return answer
    topic = answer.split(".")[0]
    if topic == "dieu_kien":
        return "dieu_kien.nguoi_than" if s.for_relative else answer
    if topic == "huu_tri":
        if s.paid_months and s.income:
            return "huu_tri.muc_luong"
        return "huu_tri.tuoi" if s.birth_year else answer
    specific = {"tu_tuat": ("mai_tang", s.month), "bhyt_hgd": ("muc_dong", s.household),
                "rut_mot_lan": ("muc_huong", s.paid_months and s.income),
                "muc_dong": ("theo_thu_nhap", s.income),
                "thai_san": ("dieu_kien", s.paid_months) if s.paid_months else ("muc_huong", s.babies)}
    name, slot = specific.get(topic, ("", None))
    return f"{topic}.{name}" if slot else answer


def retirement(p: PolicyView, s: Slots, policy: Policy) -> Data:
    if s.birth_year is None:
        return {"rows": None, "asked": []}
    sexes = [s.sex] if s.sex else list(compute.SEXES)
    rows = {sex: compute.retirement(policy, s.birth_year, sex) for sex in sexes}
    if s.birth_month:
        rows = {sex: [compute.for_month(r, s.birth_month)] for sex, r in rows.items()}
    first = {sex: compute.first_year(policy, sex) for sex in sexes}
    return {"rows": rows, "asked": sexes, "first": first}


def pension(p: PolicyView, s: Slots, policy: Policy) -> Data:
    if not (s.paid_months and s.income):
        return {"rows": None}
    return {"rows": compute.pensions(p, s.paid_months, s.income, s.sex),
            "years": compute.benefit_years(s.paid_months)}


def lump(p: PolicyView, s: Slots, policy: Policy) -> Data:
    if not (s.paid_months and s.income):
        return {"lump": None}
    return {"lump": compute.lump_sum(p, s.paid_months, s.income),
            "years": compute.benefit_years(s.paid_months)}


def funeral(p: PolicyView, s: Slots, policy: Policy) -> Data:
    if s.month is None:  # the grant before the last change too: deaths are often earlier
        since = p.since(p.si_reference_key)
        return {"death": None, "before": policy.at(since - timedelta(days=1))}
    view, amount = compute.funeral(policy, s.month)
    return {"death": s.month, "amount": amount, "dp": view, "basis_view": view}


def maternity(p: PolicyView, s: Slots, policy: Policy) -> Data:
    return {"m": compute.maternity(p, s.paid_months, s.month)}


def household(p: PolicyView, s: Slots, policy: Policy) -> Data:
    return {"h": compute.household(p, s.household) if s.household else None,
            "period": s.period}


def contribution(p: PolicyView, s: Slots, policy: Policy) -> Data:
    data: Data = {"c": None, "group": s.group, "warning": warning(p)}
    if s.income and p.min_base <= s.income <= p.max_base:
        data["c"] = compute.contribution(p, s.income)
    data["out_of_bounds"] = s.income is not None and data["c"] is None
    return data


def warning(p: PolicyView) -> PolicyView | None:
    """The figures on the day the poverty line changes, if that is soon (the lowest
    contribution and the support follow the line)."""
    nxt = p.upcoming("rural_poverty_line", WARN_DAYS)
    return p.policy.at(nxt.valid_from) if nxt else None


def relative(p: PolicyView, s: Slots, policy: Policy) -> Data:
    """Paying for a relative: past retirement age when every birth month of that year is."""
    data = retirement(p, s, policy) if s.sex else {"rows": None, "asked": []}
    past = None
    if data["rows"]:
        past = all(r.age is None or r.reach_last < p.day for r in data["rows"][s.sex])
    return {**data, "past": past}


def general(p: PolicyView, s: Slots, policy: Policy) -> Data:
    return {"warning": warning(p)}


CASES: dict[str, Callable[[PolicyView, Slots, Policy], Data]] = {
    "huu_tri.tuoi": retirement, "huu_tri.muc_luong": pension, "tu_tuat.mai_tang": funeral,
    "tu_tuat.overview": funeral, "rut_mot_lan.muc_huong": lump, "tu_tuat.tuat_mot_lan": lump,
    "thai_san.dieu_kien": maternity, "bhyt_hgd.muc_dong": household,
    "bhyt_hgd.ky_dong": household, "muc_dong.theo_thu_nhap": contribution,
    "dieu_kien.nguoi_than": relative, "muc_dong.overview": general,
    "muc_dong.toi_thieu": general, "muc_dong.ho_tro": general,
}


def case_data(answer: str, p: PolicyView, s: Slots, policy: Policy) -> Data:
    build = CASES.get(answer)
    return build(p, s, policy) if build else {}

