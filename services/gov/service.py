"""Government services by capability: the public names, for callers outside the gov package.

The code lives in capability modules: catalogue (the guide, halls, windows), cases (applications),
timeline (the state machine and a case's history), delivery (outbox handlers and callbacks),
ratings (好差评 and follow-ups) and views (what the edge receives). Import from those directly;
this module only keeps the names other domains have used importable.
"""

from __future__ import annotations

from services.gov.cases import (
    TOPIC_SUBMIT,
    TOPIC_SUPPLEMENT,
    TOPIC_WITHDRAW,
    add_material,
    answer_supplement,
    create_application,
    get_case,
    list_my_cases,
    submit_case,
    withdraw_case,
)
from services.gov.catalogue import (
    ensure_window_resources,
    get_hall,
    get_item,
    list_halls,
    list_items,
    window_for_resource,
)
from services.gov.delivery import (
    CallbackResult,
    apply_platform_callback,
    deliver_submission,
    deliver_supplement,
    deliver_withdrawal,
)
from services.gov.ratings import FOLLOW_UP_WORKING_DAYS, close_follow_up, list_follow_ups, rate
from services.gov.timeline import flag_overdue_cases
from services.gov.views import CaseView, HallView, ItemView, RatingView

__all__ = [
    "FOLLOW_UP_WORKING_DAYS",
    "TOPIC_SUBMIT",
    "TOPIC_SUPPLEMENT",
    "TOPIC_WITHDRAW",
    "CallbackResult",
    "CaseView",
    "HallView",
    "ItemView",
    "RatingView",
    "add_material",
    "answer_supplement",
    "apply_platform_callback",
    "close_follow_up",
    "create_application",
    "deliver_submission",
    "deliver_supplement",
    "deliver_withdrawal",
    "ensure_window_resources",
    "flag_overdue_cases",
    "get_case",
    "get_hall",
    "get_item",
    "list_follow_ups",
    "list_halls",
    "list_items",
    "list_my_cases",
    "rate",
    "submit_case",
    "window_for_resource",
    "withdraw_case",
]
