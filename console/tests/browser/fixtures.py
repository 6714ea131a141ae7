"""Data the console's browser tests act on, written into a migrated and demo-seeded database.

Run by tests/browser/backend.mjs after `citizen-api migrate` and `citizen-api seed --demo`, with the
same CITIZEN_* environment as the server. Staff accounts are created exactly as an operator would,
through the staff sign-in service; residents and their submissions are plain rows. Prints one JSON
object: usernames with their TOTP secrets, ids, and a resident's bearer token for booking.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import json
import uuid

from citizen_api import composition
from citizen_api.runtime import build_cipher, principal_changes
from citizen_api.settings import Settings
from services.accounts import service as accounts
from services.accounts.enums import Role, VerificationLevel
from services.accounts.models import User
from services.accounts.principal import Principal
from services.accounts.tokens import issue_access_token
from services.bookings.models import Resource, Slot
from services.common import clock, outbox
from services.common.db import close_db, init_db
from services.common.models import OutboxMessage, OutboxStatus
from services.community.enums import ReportCategory
from services.community.membership import join_community
from services.community.models import Community, Report, ReportHistory
from services.community.reports import new_token
from services.gov.cases import TOPIC_SUBMIT
from services.gov.enums import CaseStatus, DeliveryState, RatingLevel
from services.gov.models import Case, FollowUp, Rating, ServiceItem
from services.ops import staff_auth

PASSWORD = "console-browser-test"


async def _staff(username: str, name: str, roles: list[tuple[Role, str]], cipher) -> dict:
    created = await staff_auth.create_staff_account(
        username=username, password=PASSWORD, display_name=name, cipher=cipher
    )
    # As `citizen-api users create-staff` does: the server's workers see the roles at the next request.
    async with principal_changes(Settings()) as principals:
        for role, scope in roles:
            await accounts.grant_role(
                user_ref=str(created.account.user_id), role=role, scope=scope, principals=principals
            )
    return {"username": username, "password": PASSWORD, "totp_secret": created.totp_secret}


async def _resident(openid: str) -> User:
    return await User.create(openid=openid, level=VerificationLevel.REAL_NAME, locale="zh_CN")


async def main() -> None:
    settings = Settings()
    await init_db(settings.database_url, apps=composition.tortoise_apps())
    cipher = build_cipher(settings)
    try:
        place = await Community.filter(demo=True).order_by("code").first()
        assert place is not None, "run `citizen-api seed --demo` first"
        window = await Resource.filter(owner_domain="gov", active=True).order_by("owner_ref").first()
        assert window is not None, "the demo seed makes hall-window resources"
        department = window.staff_scope
        staff = {
            "staff1": await _staff("staff1", "王芳", [(Role.COMMUNITY_STAFF, str(place.id))], cipher),
            "staff2": await _staff("staff2", "刘洋", [(Role.COMMUNITY_STAFF, str(place.id))], cipher),
            "operator": await _staff("operator", "张伟", [(Role.DEPT_OPERATOR, department)], cipher),
            "viewer": await _staff("viewer", "陈静", [(Role.OPS_VIEWER, "")], cipher),
            "admin": await _staff("admin", "赵磊", [(Role.ADMIN, "")], cipher),
        }
        # A resident waiting for residency to be verified.
        newcomer = await _resident("o-console-newcomer")
        await join_community(
            actor=Principal(user_id=newcomer.id, level=VerificationLevel.REAL_NAME),
            community_id=str(place.id),
            address="河南省济源市沁园街道示例路 8 号",
            cipher=cipher,
        )
        # An open problem report in that community.
        reporter = await _resident("o-console-reporter")
        report = await Report.create(
            community_id=place.id,
            reporter_id=reporter.id,
            category=ReportCategory.STREETLIGHT,
            description="小区东门路灯不亮（浏览器测试）",
            lat=place.lat + 0.001,
            lng=place.lng + 0.001,
            sec_suggest="pass",
            token=new_token(),
        )
        await ReportHistory.create(
            report_id=report.id, actor_id=reporter.id, from_status=None, to_status="open"
        )
        # An overdue case and a bad rating's overdue follow-up for the operator's department.
        applicant = await _resident("o-console-applicant")
        yesterday = clock.local_date() - dt.timedelta(days=1)
        item = await ServiceItem.filter(department__code=department, online=True).order_by("code").first()
        assert item is not None, "the demo seed has online items for the hall's department"
        case = await Case.create(
            ref="JY-BROWSER-1",
            user_id=applicant.id,
            created_by_id=applicant.id,
            item_code=item.code,
            department_code=department,
            status=CaseStatus.IN_REVIEW,
            submitted_at=clock.now() - dt.timedelta(days=10),
            accepted_at=clock.now() - dt.timedelta(days=9),
            due_date=yesterday,
            delivery=DeliveryState.PENDING,
        )
        # Handed to the platform sandbox by the server's worker, exactly like a submitted case.
        await outbox.enqueue(
            topic=TOPIC_SUBMIT,
            payload={"case_id": str(case.id)},
            aggregate_type="gov_case",
            aggregate_id=str(case.id),
        )
        rating = await Rating.create(
            user_id=applicant.id,
            booking_id=uuid.uuid4(),
            department_code=department,
            level=RatingLevel.VERY_DISSATISFIED,
            score=RatingLevel.VERY_DISSATISFIED.score,
            text="等了很久",
        )
        follow_up = await FollowUp.create(rating=rating, department_code=department, due_date=yesterday)
        # A dead letter for the administrator to retry.
        dead = await outbox.enqueue(topic="browser.test", payload={}, aggregate_type="test", aggregate_id="1")
        await OutboxMessage.filter(id=dead.id).update(
            status=OutboxStatus.DEAD, attempts=12, last_error="HTTP 503"
        )
        # A resident who books a hall window through the API during the test.
        booker = await _resident("o-console-booker")
        slot = (
            await Slot.filter(resource_id=window.id, start__gt=clock.now() + dt.timedelta(hours=2))
            .order_by("start")
            .first()
        )
        token = issue_access_token(
            user_id=booker.id, secret=settings.secret_key.get_secret_value(), ttl_s=3600
        )
        print(
            json.dumps(
                {
                    "staff": staff,
                    "community_id": str(place.id),
                    "department": department,
                    "report_id": str(report.id),
                    "case_id": str(case.id),
                    "applicant_id": str(applicant.id),
                    "applicant_token": issue_access_token(
                        user_id=applicant.id, secret=settings.secret_key.get_secret_value(), ttl_s=3600
                    ),
                    "follow_up_id": str(follow_up.id),
                    "dead_letter_id": str(dead.id),
                    "slot_id": str(slot.id) if slot else None,
                    "resource_id": str(window.id),
                    "booker_token": token,
                }
            )
        )
    finally:
        await close_db()


if __name__ == "__main__":
    import sys

    if "--prepare" in sys.argv:
        # One interpreter for `citizen-api migrate`, `seed --demo` and the fixtures (each start of
        # Python with the whole app imported costs seconds on a loaded machine); stdout stays the JSON.
        from contextlib import redirect_stdout

        from citizen_api import cli

        with redirect_stdout(sys.stderr):
            for command in (["migrate"], ["seed", "--demo"]):
                if cli.main(command):
                    raise SystemExit(f"citizen-api {' '.join(command)} failed")
    asyncio.run(main())
