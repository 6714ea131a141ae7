"""Monthly home-care subsidies: who is entitled, the month's budget, and drawing on it safely.

People aged 80 or more (from the birth date in their verified ID number) or assessed as disabled
(失能, by staff) have a budget in fen per calendar month (local time). A new month starts a new
account at the full budget, which is the monthly reset. Orders draw on the balance first with one
conditional UPDATE (`spent + x <= budget`) inside the order's transaction, backed by a CHECK
constraint, so concurrent orders can never take the balance below zero.
"""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

from tortoise.exceptions import IntegrityError
from tortoise.expressions import F

from services.accounts import service as accounts
from services.accounts.enums import Role
from services.accounts.principal import Principal
from services.care.models import CareAssessment, SubsidyAccount
from services.care.views import SubsidyView
from services.common import clock
from services.common.crypto import PiiCipher
from services.common.errors import NotFound
from services.common.idcard import birth_date

__all__ = [
    "AGED_BUDGET_FEN",
    "AGED_FROM_YEARS",
    "DISABLED_BUDGET_FEN",
    "assess",
    "balance",
    "draw",
    "entitlement",
    "month_of",
    "open_month",
    "refund",
]

AGED_FROM_YEARS = 80
AGED_BUDGET_FEN = 20_000  # 200 yuan a month
DISABLED_BUDGET_FEN = 30_000  # 300 yuan a month (a disabled person aged 80+ gets this one)
_DRAW_ATTEMPTS = 5


def month_of(moment: dt.datetime | None = None) -> str:
    """The local calendar month, YYYY-MM."""
    return clock.local_date(moment).strftime("%Y-%m")


def _age(born: dt.date, today: dt.date) -> int:
    return today.year - born.year - ((today.month, today.day) < (born.month, born.day))


async def entitlement(*, subject_id: uuid.UUID, cipher: PiiCipher) -> tuple[int, list[str]]:
    """The monthly budget in fen the person is entitled to, and why (aged_80, disabled)."""
    reasons: list[str] = []
    identity = await accounts.verified_identity(user_id=subject_id, cipher=cipher)
    born = birth_date(identity.id_number) if identity else None
    if born is not None and _age(born, clock.local_date()) >= AGED_FROM_YEARS:
        reasons.append("aged_80")
    if await CareAssessment.exists(subject_id=subject_id, disabled=True):
        reasons.append("disabled")
    if "disabled" in reasons:
        return DISABLED_BUDGET_FEN, reasons
    return (AGED_BUDGET_FEN if reasons else 0), reasons


async def open_month(*, subject_id: uuid.UUID, month: str, budget_fen: int) -> SubsidyAccount | None:
    """The month's account, opened at the full budget on first use (before the order's transaction:
    a failed concurrent insert must not abort it). None for a person without an entitlement."""
    if budget_fen <= 0:
        return None
    row = await SubsidyAccount.get_or_none(subject_id=subject_id, month=month)
    if row is not None:
        return row
    try:
        return await SubsidyAccount.create(subject_id=subject_id, month=month, budget_fen=budget_fen)
    except IntegrityError:
        # A concurrent order of the same person opened the month first.
        return await SubsidyAccount.get(subject_id=subject_id, month=month)


async def draw(*, account: SubsidyAccount | None, amount_fen: int, conn: Any) -> int:
    """Take up to `amount_fen` from the account's balance inside `conn`'s transaction; returns what was taken."""
    if account is None or amount_fen <= 0:
        return 0
    want = amount_fen
    for _ in range(_DRAW_ATTEMPTS):
        taken = (
            await SubsidyAccount.filter(id=account.id, spent_fen__lte=F("budget_fen") - want)
            .using_db(conn)
            .update(spent_fen=F("spent_fen") + want)
        )
        if taken == 1:
            return want
        # Someone drew meanwhile: take what is left now, if anything.
        fresh = await SubsidyAccount.get(id=account.id).using_db(conn)
        want = min(amount_fen, fresh.budget_fen - fresh.spent_fen)
        if want <= 0:
            return 0
    return 0


async def refund(*, subject_id: uuid.UUID, month: str | None, amount_fen: int, conn: Any) -> None:
    """Give back what a refused or cancelled order drew."""
    if not month or amount_fen <= 0:
        return
    await (
        SubsidyAccount.filter(subject_id=subject_id, month=month, spent_fen__gte=amount_fen)
        .using_db(conn)
        .update(spent_fen=F("spent_fen") - amount_fen)
    )


async def balance(*, actor: Principal, cipher: PiiCipher) -> SubsidyView:
    """This month's budget and balance of the person (the actor, or whom they act for)."""
    budget, reasons = await entitlement(subject_id=actor.subject_id, cipher=cipher)
    month = month_of()
    row = await SubsidyAccount.get_or_none(subject_id=actor.subject_id, month=month)
    spent = row.spent_fen if row else 0
    budget_fen = row.budget_fen if row else budget
    return SubsidyView(
        month=month,
        eligible=budget > 0,
        reasons=reasons,
        budget_fen=budget_fen,
        spent_fen=spent,
        balance_fen=max(0, budget_fen - spent),
    )


async def assess(*, actor: Principal, subject_id: str, disabled: bool) -> bool:
    """Staff record (or lift) a disability assessment (失能评估)."""
    if not (actor.has_role(Role.COMMUNITY_STAFF) or actor.has_role(Role.ADMIN)):
        raise NotFound("care.person_not_found")
    person = await accounts.find_user(subject_id)
    row, created = await CareAssessment.get_or_create(
        subject_id=person.id, defaults={"disabled": disabled, "assessed_by_id": actor.user_id}
    )
    if not created:
        await CareAssessment.filter(id=row.id).update(disabled=disabled, assessed_by_id=actor.user_id)
    return disabled
