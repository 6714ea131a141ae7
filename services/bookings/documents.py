"""Real-name visitors' identity documents: one format check per document type, then the cleaned values.

Chinese ticketing systems accept, besides the mainland resident ID card, the documents foreign and
Hong Kong / Macao / Taiwan visitors travel with. Each is checked by its own published format before
anything is stored or sent to the gate system:

  resident_id                 居民身份证         18 characters, GB 11643 check character, real birth date
  passport                    护照               5–17 letters and digits, at least one digit (ICAO 9303
                                                 allows up to 9 in the MRZ; national numbers vary)
  hk_macao_permit             港澳居民来往内地通行证  H or M + 8 digits (the card since 2013; + 2 on old books)
  taiwan_permit               台湾居民来往大陆通行证  8 digits (the card since 2015), 10 on the older booklet
  foreign_permanent_resident  外国人永久居留身份证  2017 card: 3-letter ISO nationality + 12 digits;
                                                 2023 card: 18 characters starting with 9, GB 11643 rules
  hmt_residence_permit        港澳台居民居住证     18 characters, GB 11643 rules, region 810000 (HK),
                                                 820000 (Macao) or 830000 (Taiwan)

`clean_visitors` is the one place the engine normalises visitors (spaces removed, upper case); what
it returns is what is encrypted, indexed for one entry per person per day, and given to the owning
domain's post-booking hook (the tourism ticket), so the gate sees exactly the normalised identity.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol

from services.bookings.enums import IdDocument
from services.bookings.errors import VisitorsInvalid
from services.bookings.rules import BookingRules
from services.common import clock
from services.common.idcard import is_valid_id_number, normalize_id_number

__all__ = ["CleanVisitor", "Visitor", "clean_visitors", "is_valid_document", "index_value"]

_PASSPORT = re.compile(r"^(?=.*\d)[A-Z0-9]{5,17}$")
_HK_MACAO = re.compile(r"^[HM]\d{8}(\d{2})?$")
_TAIWAN = re.compile(r"^(\d{8}|\d{10})$")
_FOREIGN_2017 = re.compile(r"^[A-Z]{3}\d{12}$")
_HMT_REGIONS = ("810000", "820000", "830000")


class Visitor(Protocol):
    """A real-name visitor as callers pass it (a pydantic model or any object with these attributes).

    `id_type` may be absent: a resident ID card is meant.
    """

    name: str
    id_number: str


@dataclass(frozen=True, slots=True)
class CleanVisitor:
    """A validated visitor: trimmed name, document type and the normalised document number."""

    name: str
    id_type: IdDocument
    id_number: str


def is_valid_document(id_type: IdDocument | str, number: str, *, today: dt.date | None = None) -> bool:
    """True when `number` (already normalised) has the format of a document of `id_type`."""
    kind = IdDocument(id_type)
    if kind is IdDocument.RESIDENT_ID:
        return is_valid_id_number(number, today=today)
    if kind is IdDocument.PASSPORT:
        return bool(_PASSPORT.match(number))
    if kind is IdDocument.HK_MACAO_PERMIT:
        return bool(_HK_MACAO.match(number))
    if kind is IdDocument.TAIWAN_PERMIT:
        return bool(_TAIWAN.match(number))
    if kind is IdDocument.FOREIGN_PERMANENT_RESIDENT:
        if _FOREIGN_2017.match(number):
            return True
        return number.startswith("9") and _gb11643(number, today=today)
    # HMT_RESIDENCE_PERMIT
    return number.startswith(_HMT_REGIONS) and _gb11643(number, today=today)


def _gb11643(number: str, *, today: dt.date | None) -> bool:
    """GB 11643 shape, check character and birth date; the region digits are the caller's business."""
    if len(number) != 18 or not number[:17].isdigit():
        return False
    # is_valid_id_number also refuses a leading 0; documents here start with 8 or 9.
    return is_valid_id_number(number, today=today)


def index_value(visitor: CleanVisitor) -> str:
    """What the blind index is computed over: the number for a resident ID (as before), else type:number.

    The type keeps two documents of different kinds that share a number apart.
    """
    if visitor.id_type is IdDocument.RESIDENT_ID:
        return visitor.id_number
    return f"{visitor.id_type.value}:{visitor.id_number}"


def clean_visitors(
    visitors: Sequence[Visitor] | None, rules: BookingRules, party_size: int | None
) -> tuple[tuple[CleanVisitor, ...], int]:
    """Validated visitors and the party size they imply; VisitorsInvalid names the first bad field."""
    people: list[CleanVisitor] = []
    today = clock.local_date()
    for position, visitor in enumerate(visitors or []):
        name = " ".join((getattr(visitor, "name", None) or "").split())
        raw_type = getattr(visitor, "id_type", None) or IdDocument.RESIDENT_ID
        try:
            id_type = IdDocument(raw_type)
        except ValueError:
            raise VisitorsInvalid(details={"visitor": position, "field": "id_type"}) from None
        number = normalize_id_number(getattr(visitor, "id_number", None) or "")
        if not name or len(name) > 64:
            raise VisitorsInvalid(details={"visitor": position, "field": "name"})
        if not is_valid_document(id_type, number, today=today):
            raise VisitorsInvalid(
                details={"visitor": position, "field": "id_number", "id_type": id_type.value}
            )
        people.append(CleanVisitor(name=name, id_type=id_type, id_number=number))
    if len({index_value(p) for p in people}) != len(people):
        raise VisitorsInvalid(details={"reason": "duplicate_visitor"})
    if rules.visitors_required:
        if not rules.visitors_min <= len(people) <= rules.visitors_max:
            raise VisitorsInvalid(
                details={"min": rules.visitors_min, "max": rules.visitors_max, "given": len(people)}
            )
        if party_size is not None and party_size != len(people):
            raise VisitorsInvalid(details={"reason": "party_size_must_equal_visitors"})
        party_size = len(people)
    elif people and len(people) > (party_size or 1):
        raise VisitorsInvalid(details={"reason": "more_visitors_than_party"})
    return tuple(people), party_size or 1
