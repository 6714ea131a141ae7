"""Enumerated kinds and states of the education domain, and the application state machine."""

from __future__ import annotations

from enum import StrEnum

__all__ = [
    "ACTIVE_STATUSES",
    "APPLICATION_TRANSITIONS",
    "CATEGORY_PRIORITY",
    "PHASE_ORDER",
    "ApplicantCategory",
    "ApplicationStatus",
    "DeliveryState",
    "GuardianRelation",
    "LookupBasis",
    "Phase",
    "SchoolLevel",
    "SchoolOwnership",
    "can_transition",
]


class SchoolOwnership(StrEnum):
    PUBLIC = "public"  # 公办: serves its district
    PRIVATE = "private"  # 民办: city-wide, by lottery under 公民同招


class SchoolLevel(StrEnum):
    PRIMARY = "primary"  # 小学一年级
    JUNIOR = "junior"  # 初一


class Phase(StrEnum):
    """The phases of an enrollment round, in order (label: education.phase.<value>)."""

    UPCOMING = "upcoming"  # before registration opens
    REGISTRATION = "registration"  # 信息采集/报名
    REVIEW = "review"  # 审核
    SUPPLEMENT = "supplement"  # 补充材料
    PUBLICITY = "publicity"  # 公示
    ADMISSION = "admission"  # 录取/派位
    REPORTING = "reporting"  # 报到
    CLOSED = "closed"  # after reporting ends


# The phases a round publishes dates for (UPCOMING and CLOSED are before and after them).
PHASE_ORDER: tuple[Phase, ...] = (
    Phase.REGISTRATION,
    Phase.REVIEW,
    Phase.SUPPLEMENT,
    Phase.PUBLICITY,
    Phase.ADMISSION,
    Phase.REPORTING,
)


class ApplicantCategory(StrEnum):
    """The applicant's category; lotteries draw them in this order (label: education.category.<value>)."""

    HUKOU_AND_PROPERTY = "hukou_and_property"  # 户籍与房产一致
    HUKOU_ONLY = "hukou_only"  # 仅户籍
    PROPERTY_ONLY = "property_only"  # 仅房产
    MIGRANT = "migrant"  # 随迁子女 (居住证 + social insurance months)


CATEGORY_PRIORITY: tuple[ApplicantCategory, ...] = tuple(ApplicantCategory)


class GuardianRelation(StrEnum):
    FATHER = "father"
    MOTHER = "mother"
    GUARDIAN = "guardian"  # 其他法定监护人


class ApplicationStatus(StrEnum):
    """An application's life (label: education.status.<value>)."""

    DRAFT = "draft"
    SUBMITTED = "submitted"
    IN_REVIEW = "in_review"
    SUPPLEMENT_REQUESTED = "supplement_requested"
    APPROVED = "approved"  # eligible; waits for admission / the draw
    REJECTED = "rejected"
    ADMITTED = "admitted"
    WAITLISTED = "waitlisted"
    NOT_ADMITTED = "not_admitted"
    WITHDRAWN = "withdrawn"


# Statuses that hold the child's one place in the round (backed by a unique column, see models).
ACTIVE_STATUSES = frozenset(
    {
        ApplicationStatus.DRAFT,
        ApplicationStatus.SUBMITTED,
        ApplicationStatus.IN_REVIEW,
        ApplicationStatus.SUPPLEMENT_REQUESTED,
        ApplicationStatus.APPROVED,
        ApplicationStatus.ADMITTED,
        ApplicationStatus.WAITLISTED,
    }
)

S = ApplicationStatus
APPLICATION_TRANSITIONS: dict[ApplicationStatus, frozenset[ApplicationStatus]] = {
    S.DRAFT: frozenset({S.SUBMITTED, S.WITHDRAWN}),
    S.SUBMITTED: frozenset({S.IN_REVIEW, S.SUPPLEMENT_REQUESTED, S.APPROVED, S.REJECTED, S.WITHDRAWN}),
    S.IN_REVIEW: frozenset({S.SUPPLEMENT_REQUESTED, S.APPROVED, S.REJECTED, S.WITHDRAWN}),
    S.SUPPLEMENT_REQUESTED: frozenset({S.IN_REVIEW, S.REJECTED, S.WITHDRAWN}),
    S.APPROVED: frozenset({S.ADMITTED, S.WAITLISTED, S.NOT_ADMITTED, S.WITHDRAWN}),
    S.WAITLISTED: frozenset({S.ADMITTED, S.NOT_ADMITTED, S.WITHDRAWN}),
    S.ADMITTED: frozenset(),
    S.NOT_ADMITTED: frozenset(),
    S.REJECTED: frozenset(),
    S.WITHDRAWN: frozenset(),
}
del S


def can_transition(current: ApplicationStatus, target: ApplicationStatus) -> bool:
    """True when an application may move from `current` to `target`."""
    return target in APPLICATION_TRANSITIONS[current]


class DeliveryState(StrEnum):
    """Where the application stands with the bureau's system."""

    NOT_SENT = "not_sent"
    QUEUED = "queued"
    DELIVERED = "delivered"


class LookupBasis(StrEnum):
    """Why a district matched: which published list or the boundary polygon."""

    COMPOUND = "compound"
    STREET = "street"
    VILLAGE = "village"
    POLYGON = "polygon"
