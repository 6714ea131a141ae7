"""What the community domain refuses.

DomainError (services.common.errors)
 ├── InvalidInput
 │    ├── ContentRisky              WeChat content security refused the text (label in details)
 │    ├── EventTextHeld             WeChat could not pass an event's title/description (review)
 │    ├── EventTooFar               an event more than a year ahead (e.g. year 9999)
 │    ├── BadSchedule               expire_at not after publish_at
 │    ├── LocationRequired          a report needs lat/lng or an address
 │    ├── NoCommunityForReport      the location is not in any community we know
 │    └── BadDuplicateTarget        duplicate_of is missing, itself, or in another community
 ├── PermissionDenied
 │    ├── NotCommunityStaff         the caller is not staff of that community
 │    └── SecondReviewerRequired    the author cannot approve their own notice
 ├── NotFound
 │    ├── CommunityNotFound, NoticeNotFound, ReportNotFound, EventNotFound, MembershipNotFound
 │    └── NotAMember                no membership to show
 ├── Conflict
 │    ├── IllegalNoticeTransition   e.g. withdrawing a withdrawn notice
 │    ├── IllegalReportTransition   e.g. resolving a closed report
 │    ├── PossibleDuplicate         similar reports nearby; candidates in details (confirm to submit)
 │    ├── OwnReport                 "me too" on one's own report
 │    └── NotResolvedYet            feedback asked before the report was resolved
 └── Unavailable
      └── EventsUnavailable         the booking engine is not installed
"""

from __future__ import annotations

from services.common.errors import Conflict, InvalidInput, NotFound, PermissionDenied, Unavailable

__all__ = [
    "BadDuplicateTarget",
    "BadFileReference",
    "BadSchedule",
    "CommunityNotFound",
    "ContentRisky",
    "EventNotFound",
    "EventTextHeld",
    "EventTooFar",
    "EventsUnavailable",
    "IllegalNoticeTransition",
    "IllegalReportTransition",
    "LocationRequired",
    "MembersOnlyEvent",
    "MembershipNotFound",
    "NoCommunityForReport",
    "NotAMember",
    "NotCommunityStaff",
    "NotResolvedYet",
    "NoticeNotFound",
    "OwnReport",
    "PossibleDuplicate",
    "ReportNotFound",
    "SecondReviewerRequired",
]


class ContentRisky(InvalidInput):
    code = "community.content_risky"


class EventTextHeld(InvalidInput):
    code = "community.event_text_held"


class EventTooFar(InvalidInput):
    code = "community.event_too_far"


class BadSchedule(InvalidInput):
    code = "community.notice_bad_schedule"


class LocationRequired(InvalidInput):
    code = "community.report_location_required"


class NoCommunityForReport(InvalidInput):
    code = "community.report_no_community"


class BadDuplicateTarget(InvalidInput):
    code = "community.report_bad_duplicate"


class BadFileReference(InvalidInput):
    code = "community.bad_file"


class NotCommunityStaff(PermissionDenied):
    code = "community.staff_only"


class MembersOnlyEvent(PermissionDenied):
    code = "community.event_members_only"


class SecondReviewerRequired(PermissionDenied):
    code = "community.review_second_staff"


class CommunityNotFound(NotFound):
    code = "community.not_found"


class NoticeNotFound(NotFound):
    code = "community.notice_not_found"


class ReportNotFound(NotFound):
    code = "community.report_not_found"


class EventNotFound(NotFound):
    code = "community.event_not_found"


class MembershipNotFound(NotFound):
    code = "community.membership_not_found"


class NotAMember(NotFound):
    code = "community.not_a_member"


class IllegalNoticeTransition(Conflict):
    code = "community.notice_illegal_transition"


class IllegalReportTransition(Conflict):
    code = "community.report_illegal_transition"


class PossibleDuplicate(Conflict):
    code = "community.report_possible_duplicate"


class OwnReport(Conflict):
    code = "community.report_own"


class NotResolvedYet(Conflict):
    code = "community.report_not_resolved"


class EventsUnavailable(Unavailable):
    code = "community.events_unavailable"
