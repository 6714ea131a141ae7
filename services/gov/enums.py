"""Enumerated states and kinds of the government-services domain, and the case state machine."""

from __future__ import annotations

from enum import StrEnum

__all__ = [
    "CASE_TRANSITIONS",
    "ACTIVE_CASE_STATUSES",
    "CaseEventKind",
    "CaseStatus",
    "DeliveryState",
    "FollowUpStatus",
    "ItemCategory",
    "ItemTheme",
    "MaterialTrust",
    "RatingLevel",
    "TransitionActor",
    "can_transition",
]


class ItemCategory(StrEnum):
    """The department-side grouping of the service guide (label: message id gov.category.<value>)."""

    HOUSEHOLD = "household"  # 户籍
    IDENTITY = "identity"  # 身份证、居住证
    SOCIAL_SECURITY = "social_security"  # 社保
    MEDICAL_INSURANCE = "medical_insurance"  # 医保
    HOUSING_FUND = "housing_fund"  # 公积金
    REAL_ESTATE = "real_estate"  # 不动产登记
    BUSINESS = "business"  # 市场主体登记与许可
    CIVIL_AFFAIRS = "civil_affairs"  # 婚姻、民政
    HEALTH = "health"  # 卫生健康
    DISABILITY = "disability"  # 残疾人
    TAX = "tax"  # 税务


class ItemTheme(StrEnum):
    """Life events (一件事) a citizen thinks in (label: message id gov.theme.<value>)."""

    BIRTH = "birth"  # 出生
    SCHOOLING = "schooling"  # 上学
    EMPLOYMENT = "employment"  # 就业
    MARRIAGE = "marriage"  # 婚育
    HOUSING = "housing"  # 住房
    MOVING = "moving"  # 迁居
    BUSINESS = "business"  # 开办企业
    MEDICAL = "medical"  # 就医
    RETIREMENT = "retirement"  # 退休养老
    DISABILITY = "disability"  # 助残
    IDENTITY = "identity"  # 证件办理


class MaterialTrust(StrEnum):
    """How a required material is proven (label: gov.trust.<value>)."""

    E_LICENSE = "e_license"  # 电子证照: fetched from the licence library, nothing to upload
    ORIGINAL = "original"  # 原件: upload a scan online, show the original at the window
    COPY = "copy"  # 复印件: a scan or photocopy is enough
    FORM = "form"  # 申请表: filled in online


class CaseStatus(StrEnum):
    """An online application's life (label: gov.case.status.<value>)."""

    DRAFT = "draft"
    SUBMITTED = "submitted"
    ACCEPTED = "accepted"
    IN_REVIEW = "in_review"
    SUPPLEMENT_REQUESTED = "supplement_requested"
    APPROVED = "approved"
    REJECTED = "rejected"
    COMPLETED = "completed"
    WITHDRAWN = "withdrawn"


class TransitionActor(StrEnum):
    """Who may move a case: the citizen (or their proxy), or the department (its platform or an operator)."""

    CITIZEN = "citizen"
    PLATFORM = "platform"
    # A department operator deciding in the staff console: the department's moves, told to the platform.
    OPERATOR = "operator"


# (from, to) -> who may make the move. Anything not listed is refused.
CASE_TRANSITIONS: dict[tuple[CaseStatus, CaseStatus], TransitionActor] = {
    (CaseStatus.DRAFT, CaseStatus.SUBMITTED): TransitionActor.CITIZEN,
    (CaseStatus.SUBMITTED, CaseStatus.ACCEPTED): TransitionActor.PLATFORM,
    # 不予受理: the platform refuses to accept the application at all.
    (CaseStatus.SUBMITTED, CaseStatus.REJECTED): TransitionActor.PLATFORM,
    (CaseStatus.ACCEPTED, CaseStatus.IN_REVIEW): TransitionActor.PLATFORM,
    (CaseStatus.ACCEPTED, CaseStatus.SUPPLEMENT_REQUESTED): TransitionActor.PLATFORM,
    (CaseStatus.IN_REVIEW, CaseStatus.SUPPLEMENT_REQUESTED): TransitionActor.PLATFORM,
    (CaseStatus.IN_REVIEW, CaseStatus.APPROVED): TransitionActor.PLATFORM,
    (CaseStatus.IN_REVIEW, CaseStatus.REJECTED): TransitionActor.PLATFORM,
    # The citizen answers the 补正 request; review resumes.
    (CaseStatus.SUPPLEMENT_REQUESTED, CaseStatus.IN_REVIEW): TransitionActor.CITIZEN,
    # 补正 not answered in time.
    (CaseStatus.SUPPLEMENT_REQUESTED, CaseStatus.REJECTED): TransitionActor.PLATFORM,
    # 办结: the certificate is issued, or the refusal is formally served.
    (CaseStatus.APPROVED, CaseStatus.COMPLETED): TransitionActor.PLATFORM,
    (CaseStatus.REJECTED, CaseStatus.COMPLETED): TransitionActor.PLATFORM,
    (CaseStatus.DRAFT, CaseStatus.WITHDRAWN): TransitionActor.CITIZEN,
    (CaseStatus.SUBMITTED, CaseStatus.WITHDRAWN): TransitionActor.CITIZEN,
    (CaseStatus.ACCEPTED, CaseStatus.WITHDRAWN): TransitionActor.CITIZEN,
    (CaseStatus.IN_REVIEW, CaseStatus.WITHDRAWN): TransitionActor.CITIZEN,
    (CaseStatus.SUPPLEMENT_REQUESTED, CaseStatus.WITHDRAWN): TransitionActor.CITIZEN,
}

# A case in one of these is still running (its deadline clock matters).
ACTIVE_CASE_STATUSES = frozenset(
    {
        CaseStatus.SUBMITTED,
        CaseStatus.ACCEPTED,
        CaseStatus.IN_REVIEW,
        CaseStatus.SUPPLEMENT_REQUESTED,
    }
)


def can_transition(current: CaseStatus, target: CaseStatus, actor: TransitionActor) -> bool:
    """True when `actor` may move a case from `current` to `target`."""
    allowed = CASE_TRANSITIONS.get((current, target))
    if actor is TransitionActor.OPERATOR:
        # The operator makes the department's moves; the platform is told through the outbox.
        return allowed is TransitionActor.PLATFORM
    return allowed is actor


class DeliveryState(StrEnum):
    """Where the case stands with the government-service platform."""

    NOT_SENT = "not_sent"  # a draft, or withdrawn before it was ever sent
    PENDING = "pending"  # waiting in the outbox
    DELIVERED = "delivered"


class CaseEventKind(StrEnum):
    """Entries of the case timeline (label: gov.case.event.<value>)."""

    CREATED = "created"
    STATUS = "status"
    MATERIAL = "material"
    SUPPLEMENT_ANSWERED = "supplement_answered"
    DELIVERED = "delivered"
    OVERDUE = "overdue"  # the promised time limit passed with the case still running
    RATED = "rated"
    # The platform reported a state our state machine could not take; its next callback reconciles.
    CALLBACK_REFUSED = "callback_refused"
    # A department operator's message to the applicant (no status change).
    REPLY = "reply"


class RatingLevel(StrEnum):
    """好差评 five levels, best first (label: gov.rating.<value>)."""

    VERY_SATISFIED = "very_satisfied"  # 非常满意
    SATISFIED = "satisfied"  # 满意
    BASICALLY_SATISFIED = "basically_satisfied"  # 基本满意
    DISSATISFIED = "dissatisfied"  # 不满意
    VERY_DISSATISFIED = "very_dissatisfied"  # 非常不满意

    @property
    def score(self) -> int:
        return 5 - list(RatingLevel).index(self)

    @property
    def is_bad(self) -> bool:
        """差评: the two bottom levels open a follow-up (整改)."""
        return self in (RatingLevel.DISSATISFIED, RatingLevel.VERY_DISSATISFIED)


class FollowUpStatus(StrEnum):
    OPEN = "open"
    CLOSED = "closed"
