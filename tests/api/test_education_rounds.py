"""Enrollment rounds: phases at their exact edges (Asia/Shanghai), late submissions refused
clearly, and the periodic job that records phase changes and publishes lottery commitments."""

from __future__ import annotations

import datetime as dt

import pytest

from services.common import clock
from services.education import applications, rounds
from services.education.enums import Phase
from services.education.errors import PhaseClosed
from services.education.jobs import advance_rounds
from services.education.models import EnrollmentRound, Lottery
from services.education.rounds import PhaseWindow, phase_at
from tests.api.test_education_support import (
    application_body,
    clear_households,
    fresh_districts,
    make_round,
    real_name_parent,
    register_household,
    seed_catalogue,
    upload_all,
    windows_around,
)
from tests.factories import auth_headers

SH = clock.CITY_TZ
OPENS = dt.datetime(2027, 7, 1, 9, 0, tzinfo=SH)
CLOSES = dt.datetime(2027, 7, 10, 18, 0, tzinfo=SH)
WINDOWS = [
    PhaseWindow(Phase.REGISTRATION, OPENS, CLOSES),
    PhaseWindow(Phase.REVIEW, CLOSES, CLOSES + dt.timedelta(days=10)),
]
TICK = dt.timedelta(microseconds=1)


@pytest.mark.parametrize(
    ("moment", "expected"),
    [
        (OPENS - TICK, Phase.UPCOMING),
        (OPENS, Phase.REGISTRATION),  # opens on the second
        (CLOSES - TICK, Phase.REGISTRATION),
        (CLOSES, Phase.REVIEW),  # closed on the second: [opens, closes)
        (CLOSES.astimezone(dt.UTC), Phase.REVIEW),  # the same instant in UTC
        (CLOSES + dt.timedelta(days=10), Phase.CLOSED),
    ],
)
def test_phase_at__exact_edges(moment, expected) -> None:
    assert phase_at(WINDOWS, moment) == expected


def test_require_phase__late_says_when_it_closed_in_city_time() -> None:
    with pytest.raises(PhaseClosed) as late:
        rounds.require_phase(WINDOWS, {Phase.REGISTRATION}, action="submit", now=CLOSES)
    assert late.value.code == "education.phase_closed.late"
    assert late.value.details["closes_at"] == "2027-07-10T18:00:00+08:00"
    with pytest.raises(PhaseClosed) as early:
        rounds.require_phase(WINDOWS, {Phase.REGISTRATION}, action="apply", now=OPENS - TICK)
    assert early.value.code == "education.phase_closed.not_open"
    assert (
        rounds.require_phase(WINDOWS, {Phase.REGISTRATION}, action="apply", now=CLOSES - TICK)
        == Phase.REGISTRATION
    )


@pytest.fixture
async def family(client, settings, app, runtime):
    await seed_catalogue()
    fresh_districts(app)
    round_ = await make_round(runtime, phase=Phase.REGISTRATION)
    user, id_number = await real_name_parent(client, settings, serial="777")
    from tests.api.test_education_support import child_id

    child = child_id()
    await register_household(settings, id_number, child)
    yield {"round": round_, "user": user, "child": child, "headers": auth_headers(user, settings)}
    await clear_households(settings)


async def test_submit__refused_at_the_closing_second_accepted_just_before(
    client, settings, runtime, family
) -> None:
    created = await client.post(
        "/api/v1/education/enrollments",
        json=application_body(family["round"].code, family["child"]),
        headers=family["headers"],
    )
    assert created.status_code == 201, created.text
    await upload_all(client, family["headers"], created.json()["id"], created.json()["required_materials"])
    _, windows = await rounds.load_round(family["round"].id)
    closes = next(w for w in windows if w.phase == Phase.REGISTRATION).closes_at
    from services.accounts.access import load_principal

    actor = await load_principal(user_id=family["user"].id)
    with pytest.raises(PhaseClosed) as refused:
        await applications.submit_application(
            actor=actor, application_id=created.json()["id"], cipher=runtime.cipher, now=closes
        )
    assert refused.value.code == "education.phase_closed.late"
    view = await applications.submit_application(
        actor=actor, application_id=created.json()["id"], cipher=runtime.cipher, now=closes - TICK
    )
    assert view.status.value == "submitted"


async def test_apply__after_registration_closed_is_409_with_the_deadline(
    client, settings, runtime, family
) -> None:
    await make_round(runtime, phase=Phase.REVIEW)  # same code: registration ended 12 hours ago
    response = await client.post(
        "/api/v1/education/enrollments",
        json=application_body(family["round"].code, family["child"]),
        headers={**family["headers"], "Accept-Language": "en"},
    )
    assert response.status_code == 409
    error = response.json()["error"]
    assert error["code"] == "education.phase_closed.late"
    assert "deadline" in error["message"] and "+08:00" in error["message"]
    assert error["details"]["phase"] == "review"


async def test_rounds__listed_with_phases_in_city_time(client, runtime, family) -> None:
    page = (await client.get("/api/v1/education/rounds", params={"lang": "en"})).json()
    listed = next(r for r in page["items"] if r["code"] == family["round"].code)
    assert listed["current_phase"] == "registration" and listed["current_phase_name"] == "Registration"
    assert [p["phase"] for p in listed["phases"]] == [
        "registration",
        "review",
        "supplement",
        "publicity",
        "admission",
        "reporting",
    ]
    assert all(p["opens_at"].endswith("+08:00") for p in listed["phases"])


async def test_advance_rounds__records_each_change_once_and_publishes_commitments(runtime, family) -> None:
    round_ = family["round"]
    await Lottery.filter(round_id=round_.id).delete()
    assert await advance_rounds(runtime) == 1  # upcoming -> registration
    assert (await EnrollmentRound.get(id=round_.id)).current_phase == Phase.REGISTRATION
    assert await Lottery.filter(round_id=round_.id).count() == 4  # one commitment per school of the plan
    assert await advance_rounds(runtime) == 0  # nothing new: idempotent
    later = clock.now() + dt.timedelta(days=1)
    changes = await rounds.advance_rounds(cipher=runtime.cipher, now=later)
    assert changes == [(round_.code, Phase.REVIEW)]


def test_windows_around__places_the_phase_now() -> None:
    now = clock.now()
    windows = [PhaseWindow(p, *w) for p, w in windows_around(Phase.SUPPLEMENT, now=now).items()]
    assert phase_at(windows, now) == Phase.SUPPLEMENT
