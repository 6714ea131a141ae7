"""PIPL export and erasure of what the education domain holds about a guardian and their children.

Erasure removes the guardian's access; when no other guardian remains, the child's name, ID
number, address and residence permit are wiped and the documents deleted (after commit, through
the outbox). The application record itself stays, anonymous: an admission is an administrative
record of the bureau.
"""

from __future__ import annotations

import uuid
from typing import Any

from tortoise.backends.base.client import BaseDBAsyncClient

from services.common import outbox
from services.common.crypto import PiiCipher
from services.education.models import Application, ApplicationGuardian, ApplicationMaterial
from services.education.views import ADDRESS_CTX, CHILD_ID_CTX, CHILD_NAME_CTX, PERMIT_CTX

__all__ = ["TABLES", "TOPIC_ERASE_FILES", "erase_user_data", "export_user_data"]

TOPIC_ERASE_FILES = "education.erase_files"
TABLES = ("education_application", "education_application_guardian", "education_application_material")


def _clear(cipher: PiiCipher, token: str | None, context: str) -> str | None:
    return cipher.decrypt(token, context=context) if token else None


async def export_user_data(*, user_id: uuid.UUID, cipher: PiiCipher) -> dict[str, Any]:
    """The applications of the person's children, with the child's data in clear, and their documents."""
    links = await ApplicationGuardian.filter(user_id=user_id).order_by("created_at")
    apps = {a.id: a for a in await Application.filter(id__in=[g.application_id for g in links])}
    materials = await ApplicationMaterial.filter(application_id__in=list(apps)).order_by("created_at")
    exported = []
    for link in links:
        app = apps.get(link.application_id)
        if app is None:
            continue
        exported.append(
            {
                "id": str(app.id),
                "ref": app.ref,
                "status": str(app.status),
                "category": str(app.category),
                "my_relation": str(link.relation),
                "i_applied": app.applicant_id == user_id,
                "consented_at": link.consented_at.isoformat(),
                "consent_version": link.consent_version,
                "child_name": _clear(cipher, app.child_name_enc, CHILD_NAME_CTX),
                "child_id_number": _clear(cipher, app.child_id_number_enc, CHILD_ID_CTX),
                "address": _clear(cipher, app.address_enc, ADDRESS_CTX),
                "residence_permit_number": _clear(cipher, app.residence_permit_enc, PERMIT_CTX),
                "social_insurance_months": app.social_insurance_months,
                "materials": [
                    {
                        "material_code": m.material_code,
                        "content_type": m.content_type,
                        "size": m.size,
                        "sha256": m.sha256,
                        "uploaded_at": m.created_at.isoformat(),
                    }
                    for m in materials
                    if m.application_id == app.id
                ],
                "created_at": app.created_at.isoformat(),
            }
        )
    return {"applications": exported}


async def erase_user_data(*, user_id: uuid.UUID, conn: BaseDBAsyncClient) -> None:
    """Drop the person's access; wipe a child's data where no other guardian is left."""
    app_ids = (
        await ApplicationGuardian.filter(user_id=user_id)
        .using_db(conn)
        .values_list("application_id", flat=True)
    )
    await ApplicationGuardian.filter(user_id=user_id).using_db(conn).delete()
    for app_id in app_ids:
        if await ApplicationGuardian.filter(application_id=app_id).using_db(conn).exists():
            continue
        keys = (
            await ApplicationMaterial.filter(application_id=app_id)
            .using_db(conn)
            .values_list("file_key", flat=True)
        )
        await ApplicationMaterial.filter(application_id=app_id).using_db(conn).delete()
        await (
            Application.filter(id=app_id)
            .using_db(conn)
            .update(
                child_name_enc=None,
                child_id_number_enc=None,
                child_index=None,
                active_key=None,
                address_enc=None,
                residence_permit_enc=None,
            )
        )
        if keys:
            await outbox.enqueue(
                topic=TOPIC_ERASE_FILES,
                payload={"keys": list(keys)},
                aggregate_type="education_application",
                aggregate_id=str(app_id),
                using_db=conn,
            )
