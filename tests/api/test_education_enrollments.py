"""A guardian applies for a child over HTTP: checks, the household relation, one application per
child, a second guardian, materials, submission to the bureau — and the child's data masked."""

from __future__ import annotations

import datetime as dt

import httpx
import pytest
from tortoise.exceptions import IntegrityError

from services.accounts.enums import Role
from services.education.enums import Phase
from services.education.models import Application, ApplicationGuardian
from tests.api.test_education_support import (
    application_body,
    bureau_control,
    child_id,
    clear_households,
    deliver_education,
    fresh_districts,
    household_checks,
    make_round,
    real_name_parent,
    register_household,
    seed_catalogue,
    upload_all,
)
from tests.factories import auth_headers, make_user

ENROLL = "/api/v1/education/enrollments"
CHILD = "王小明"


@pytest.fixture
async def world(app, runtime, settings):
    """Schools, districts, a round open for registration, and a father the household register knows."""
    await seed_catalogue()
    fresh_districts(app)
    round_ = await make_round(runtime, phase=Phase.REGISTRATION)
    yield {"round": round_}
    await clear_households(settings)


@pytest.fixture
async def father(client, settings, world):
    user, id_number = await real_name_parent(client, settings, name="王建国", serial="111")
    child = child_id()
    await register_household(settings, id_number, child)
    return {"user": user, "id_number": id_number, "child": child, "headers": auth_headers(user, settings)}


async def test_enrollment__applied_uploaded_submitted_and_delivered_masked(
    client, settings, runtime, world, father
) -> None:
    created = await client.post(
        ENROLL, json=application_body("T-2027-primary", father["child"]), headers=father["headers"]
    )
    assert created.status_code == 201, created.text
    body = created.json()
    assert body["status"] == "draft" and body["school_name"] == "济源市愚公路小学"
    # Masked in the response; never in clear.
    assert (
        body["child_name"] == "王**"
        and body["child_id_number"] == father["child"][:4] + "*" * 10 + father["child"][-4:]
    )
    assert (
        CHILD not in created.text
        and father["child"] not in created.text
        and "碧桂园12号楼" not in created.text
    )
    # Encrypted at rest.
    row = await Application.get(id=body["id"])
    assert CHILD not in row.child_name_enc and father["child"] not in row.child_id_number_enc
    # The household register was asked about this guardian and this child.
    assert await household_checks(settings) == [
        {
            "guardian": father["id_number"][:4] + "**" + father["id_number"][-2:],
            "child": father["child"][:4] + "**" + father["child"][-2:],
        }
    ]

    early = await client.post(f"{ENROLL}/{body['id']}/submit", headers=father["headers"])
    assert early.status_code == 422
    assert early.json()["error"]["details"]["missing"] == [
        "birth_certificate",
        "hukou_booklet",
        "property_certificate",
    ]
    renamed_exe = await client.post(
        f"{ENROLL}/{body['id']}/materials",
        data={"material_code": "hukou_booklet"},
        files={"file": ("booklet.pdf", b"MZ\x90\x00" + b"\x00" * 200, "application/pdf")},
        headers=father["headers"],
    )
    assert renamed_exe.status_code == 422 and renamed_exe.json()["error"]["code"] == "upload.type_not_allowed"
    unknown = await client.post(
        f"{ENROLL}/{body['id']}/materials",
        data={"material_code": "residence_permit"},
        files={"file": ("x.pdf", b"%PDF-1.4\n%%EOF\n", "application/pdf")},
        headers=father["headers"],
    )
    assert unknown.status_code == 422 and unknown.json()["error"]["code"] == "education.unknown_material"
    await upload_all(client, father["headers"], body["id"], body["required_materials"])
    submitted = await client.post(f"{ENROLL}/{body['id']}/submit", headers=father["headers"])
    assert submitted.status_code == 200, submitted.text
    assert submitted.json()["status"] == "submitted" and submitted.json()["delivered"] is False

    async with bureau_control(settings) as bureau:
        await deliver_education(runtime)
        held = (await bureau.get("/api/applications")).json()["applications"]
    mine = [a for a in held if a["application_id"] == body["id"]]
    assert len(mine) == 1
    received = mine[0]
    assert received["application_id"] == body["id"] and received["school_code"] == "JY-P02"
    # The bureau received the child's real identity (the sandbox keeps only its mask) and the guardian's.
    assert received["child"] == {
        "name": "王**",
        "id_number": father["child"][:4] + "*" * 10 + father["child"][-4:],
    }
    assert received["guardian_present"] is True
    assert sorted(m["code"] for m in received["materials"]) == sorted(body["required_materials"])
    after = (await client.get(f"{ENROLL}/{body['id']}", headers=father["headers"])).json()
    assert after["delivered"] is True
    inbox = (await client.get("/api/v1/me/inbox", headers=father["headers"])).json()["items"]
    assert inbox[0]["text"].startswith("孩子的入学报名") and CHILD not in inbox[0]["text"]


@pytest.mark.parametrize(
    ("born", "allowed"),
    [(dt.date(2021, 8, 31), True), (dt.date(2021, 9, 1), False), (dt.date(2015, 1, 1), True)],
)
async def test_enrollment__age_rule_six_by_31_august(client, settings, world, father, born, allowed) -> None:
    child = child_id(born=born, serial="222")
    await register_household(settings, father["id_number"], child)
    response = await client.post(
        ENROLL,
        json=application_body("T-2027-primary", child),
        headers={**father["headers"], "Accept-Language": "en"},
    )
    if allowed:
        assert response.status_code == 201, response.text
    else:
        assert response.status_code == 422
        error = response.json()["error"]
        assert error["code"] == "education.child.age_not_eligible"
        assert error["details"] == {"cutoff": "2021-08-31", "age": 6}


async def test_enrollment__junior_round_needs_twelve_by_31_august(
    client, settings, runtime, world, father
) -> None:
    await make_round(runtime, level="junior", code="T-2027-junior", plans={"JY-J01": (100, 10)})
    body = application_body("T-2027-junior", father["child"], school_id="JY-J01", address="天坛花园3号楼")
    response = await client.post(ENROLL, json=body, headers=father["headers"])
    assert response.status_code == 422 and response.json()["error"]["details"]["age"] == 12
    older = child_id(born=dt.date(2015, 8, 31), serial="333")
    await register_household(settings, father["id_number"], older)
    ok = await client.post(
        ENROLL,
        json=application_body("T-2027-junior", older, school_id="JY-J01", address="天坛花园3号楼"),
        headers=father["headers"],
    )
    assert ok.status_code == 201, ok.text


async def test_enrollment__bad_checksum_is_refused_before_any_outside_call(
    client, settings, world, father
) -> None:
    bad = father["child"][:17] + ("0" if father["child"][17] != "0" else "1")
    response = await client.post(
        ENROLL, json=application_body("T-2027-primary", bad), headers=father["headers"]
    )
    assert (
        response.status_code == 422
        and response.json()["error"]["code"] == "education.child.id_number_invalid"
    )
    assert await household_checks(settings) == []


async def test_enrollment__relation_not_confirmed_is_refused(client, settings, world) -> None:
    stranger, stranger_id = await real_name_parent(client, settings, name="李四", serial="999")
    response = await client.post(
        ENROLL, json=application_body("T-2027-primary", child_id()), headers=auth_headers(stranger, settings)
    )
    assert response.status_code == 403
    assert response.json()["error"]["code"] == "education.relation_not_confirmed"
    assert len(await household_checks(settings)) == 1  # the register was asked, and said no
    assert await Application.all().count() == 0


async def test_enrollment__household_register_down_is_503_and_stores_nothing(
    client, settings, world, father
) -> None:
    async with httpx.AsyncClient(base_url=settings.sandbox_url("identity")) as control:
        await control.post("/__faults", json={"down": True})
        try:
            response = await client.post(
                ENROLL, json=application_body("T-2027-primary", father["child"]), headers=father["headers"]
            )
        finally:
            await control.delete("/__faults")
    assert (
        response.status_code == 503 and response.json()["error"]["code"] == "education.household_unavailable"
    )
    assert await Application.all().count() == 0


async def test_enrollment__one_active_application_per_child_per_round(
    client, settings, world, father
) -> None:
    first = await client.post(
        ENROLL, json=application_body("T-2027-primary", father["child"]), headers=father["headers"]
    )
    assert first.status_code == 201
    again = await client.post(
        ENROLL,
        json=application_body("T-2027-primary", father["child"], school_id="JY-P08"),
        headers=father["headers"],
    )
    assert again.status_code == 409
    assert again.json()["error"]["code"] == "education.application.duplicate"
    assert first.json()["ref"] in again.json()["error"]["message"]
    # The database itself refuses a second active row for the child in the round.
    row = await Application.get(id=first.json()["id"])
    with pytest.raises(IntegrityError):
        await Application.create(
            **{
                k: getattr(row, k)
                for k in (
                    "round_id",
                    "school_id",
                    "applicant_id",
                    "relation",
                    "category",
                    "consent_version",
                    "consented_at",
                    "active_key",
                )
            },
            ref="ED-DUPLICATE",
        )
    # Withdrawn, the child may apply again.
    withdrawn = await client.post(f"{ENROLL}/{first.json()['id']}/withdraw", headers=father["headers"])
    assert withdrawn.json()["status"] == "withdrawn"
    retry = await client.post(
        ENROLL,
        json=application_body("T-2027-primary", father["child"], school_id="JY-P08"),
        headers=father["headers"],
    )
    assert retry.status_code == 201, retry.text


async def test_enrollment__idempotency_key_replays_the_first_answer(client, settings, world, father) -> None:
    headers = {**father["headers"], "Idempotency-Key": "k-edu-1"}
    body = application_body("T-2027-primary", father["child"])
    first = await client.post(ENROLL, json=body, headers=headers)
    second = await client.post(ENROLL, json=body, headers=headers)
    assert first.status_code == second.status_code == 201
    assert first.json()["id"] == second.json()["id"] and await Application.all().count() == 1


async def test_enrollment__second_guardian_links_and_sees_it_others_do_not(
    client, settings, world, father
) -> None:
    created = (
        await client.post(
            ENROLL, json=application_body("T-2027-primary", father["child"]), headers=father["headers"]
        )
    ).json()
    url = f"{ENROLL}/{created['id']}"
    mother, mother_id = await real_name_parent(
        client, settings, name="李秀英", serial="222", born=dt.date(1991, 2, 2)
    )
    mother_headers = auth_headers(mother, settings)
    assert (await client.get(url, headers=mother_headers)).status_code == 404
    link = {"child_name": CHILD, "child_id_number": father["child"], "relation": "mother", "consent": True}
    refused = await client.post(f"{ENROLL}/link", json=link, headers=mother_headers)
    assert refused.status_code == 403  # the register does not know her as the child's parent yet
    await register_household(settings, mother_id, father["child"])
    no_consent = await client.post(f"{ENROLL}/link", json=link | {"consent": False}, headers=mother_headers)
    assert (
        no_consent.status_code == 422 and no_consent.json()["error"]["code"] == "education.consent_required"
    )
    linked = await client.post(f"{ENROLL}/link", json=link, headers=mother_headers)
    assert linked.status_code == 200, linked.text
    assert [a["id"] for a in linked.json()["items"]] == [created["id"]]
    seen = (await client.get(url, headers=mother_headers)).json()
    assert seen["guardians"] == 2 and seen["child_name"] == "王**"
    mine = (await client.get(ENROLL, headers=mother_headers)).json()["items"]
    assert [a["id"] for a in mine] == [created["id"]]
    assert await ApplicationGuardian.filter(application_id=created["id"]).count() == 2
    # Neither a stranger, an admin without the bureau's scope, nor a family proxy sees the child.
    stranger = await make_user()
    assert (await client.get(url, headers=auth_headers(stranger, settings))).status_code == 404
    admin = await make_user(roles={Role.ADMIN: [""]})
    assert (await client.get(url, headers=auth_headers(admin, settings))).status_code == 404
    proxied = await client.get(
        url, headers=auth_headers(stranger, settings, **{"X-Acting-For": str(father["user"].id)})
    )
    assert proxied.status_code == 403
    # The bureau's staff do.
    staff = await make_user(roles={Role.DEPT_OPERATOR: ["jiaoyu"]})
    staff_view = await client.get(url, headers=auth_headers(staff, settings))
    assert staff_view.status_code == 200 and staff_view.json()["child_name"] == "王**"
    other_dept = await make_user(roles={Role.DEPT_OPERATOR: ["gongan"]})
    assert (await client.get(url, headers=auth_headers(other_dept, settings))).status_code == 404


async def test_enrollment__consent_is_required(client, settings, world, father) -> None:
    response = await client.post(
        ENROLL,
        json=application_body("T-2027-primary", father["child"], consent=False),
        headers=father["headers"],
    )
    assert response.status_code == 422 and response.json()["error"]["code"] == "education.consent_required"


async def test_enrollment__migrant_needs_residence_permit_and_insurance_months(
    client, settings, world, father
) -> None:
    body = application_body(
        "T-2027-primary",
        father["child"],
        category="migrant",
        social_insurance_months=6,
        residence_permit_number="410800202400123",
    )
    short = await client.post(ENROLL, json=body, headers={**father["headers"], "Accept-Language": "en"})
    assert short.status_code == 422 and "12 months" in short.json()["error"]["message"]
    no_permit = await client.post(
        ENROLL,
        json=body | {"social_insurance_months": 24, "residence_permit_number": None},
        headers=father["headers"],
    )
    assert no_permit.status_code == 422
    ok = await client.post(ENROLL, json=body | {"social_insurance_months": 24}, headers=father["headers"])
    assert ok.status_code == 201, ok.text
    assert ok.json()["required_materials"] == [
        "birth_certificate",
        "residence_permit",
        "social_insurance_record",
    ]
    assert "410800202400123" not in ok.text


async def test_enrollment__public_school_must_serve_the_address(client, settings, world, father) -> None:
    elsewhere = application_body("T-2027-primary", father["child"], address="济源市沁园春小区6栋")
    response = await client.post(ENROLL, json=elsewhere, headers=father["headers"])
    assert response.status_code == 422 and response.json()["error"]["code"] == "education.out_of_district"
    # A private school (民办) is open to the whole city.
    private = await client.post(ENROLL, json=elsewhere | {"school_id": "JY-P08"}, headers=father["headers"])
    assert private.status_code == 201, private.text


async def test_enrollment__needs_real_name(client, settings, world) -> None:
    from services.accounts.enums import VerificationLevel

    phone_only = await make_user(level=VerificationLevel.PHONE)
    response = await client.post(
        ENROLL,
        json=application_body("T-2027-primary", child_id()),
        headers=auth_headers(phone_only, settings),
    )
    assert response.status_code == 403 and response.json()["error"]["code"] == "auth.verification_required"
