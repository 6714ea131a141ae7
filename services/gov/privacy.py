"""PIPL export and erasure of what the government-services domain holds about a person (called by accounts).

Erasure wipes the personal content (form answers, rating texts, file names) and deletes the stored
case materials, but keeps the case records themselves: a department's handling of an application
is an administrative record. The files are deleted by an outbox message once the erasure committed.
"""

from __future__ import annotations

import json
import uuid
from typing import Any

from tortoise.backends.base.client import BaseDBAsyncClient

from services.common import outbox
from services.common.crypto import PiiCipher
from services.common.storage import LocalFileStore
from services.gov.cases import TOPIC_DELETE_FILES
from services.gov.models import Case, CaseMaterial, MaterialUpload, Rating

__all__ = ["delete_erased_materials", "erase_user_data", "export_user_data"]


async def export_user_data(*, user_id: uuid.UUID, cipher: PiiCipher) -> dict[str, Any]:
    """The person's cases (with their form answers in clear and uploaded files) and their ratings."""
    cases = await Case.filter(user_id=user_id).order_by("created_at")
    materials = await CaseMaterial.filter(case_id__in=[c.id for c in cases]).order_by("created_at")
    ratings = await Rating.filter(user_id=user_id).order_by("created_at")
    uploads = await MaterialUpload.filter(user_id=user_id).order_by("created_at")
    return {
        "uploads_not_yet_used": [
            {
                "id": str(u.id),
                "filename": u.filename,
                "content_type": u.content_type,
                "size": u.size,
                "sha256": u.sha256,
                "uploaded_at": u.created_at.isoformat(),
            }
            for u in uploads
        ],
        "cases": [
            {
                "id": str(c.id),
                "ref": c.ref,
                "item_code": c.item_code,
                "status": c.status.value,
                "form": json.loads(cipher.decrypt(c.form_enc, context="gov_case.form")) if c.form_enc else {},
                "submitted_by": "proxy" if c.created_by_id != c.user_id else "self",
                "materials": [
                    {
                        "material_code": m.material_code,
                        "filename": m.filename,
                        "content_type": m.content_type,
                        "size": m.size,
                        "sha256": m.sha256,
                        "uploaded_at": m.created_at.isoformat(),
                    }
                    for m in materials
                    if m.case_id == c.id
                ],
                "created_at": c.created_at.isoformat(),
            }
            for c in cases
        ],
        "ratings": [
            {
                "case_id": str(r.case_id) if r.case_id else None,
                "booking_id": str(r.booking_id) if r.booking_id else None,
                "level": r.level.value,
                "tags": list(r.tags),
                "text": r.text,
                "created_at": r.created_at.isoformat(),
            }
            for r in ratings
        ],
    }


async def erase_user_data(*, user_id: uuid.UUID, conn: BaseDBAsyncClient) -> None:
    """Wipe form answers, uploaded files (also those not used yet) and rating texts; the case records stay."""
    case_ids = await Case.filter(user_id=user_id).using_db(conn).values_list("id", flat=True)
    await Case.filter(user_id=user_id).using_db(conn).update(form_enc=None)
    keys = [
        key
        for key in await CaseMaterial.filter(case_id__in=list(case_ids))
        .using_db(conn)
        .values_list("file_key", flat=True)
        if key
    ]
    await CaseMaterial.filter(case_id__in=list(case_ids)).using_db(conn).update(filename="", file_key="")
    uploads = MaterialUpload.filter(user_id=user_id).using_db(conn)
    keys += list(await uploads.values_list("file_key", flat=True))
    await MaterialUpload.filter(user_id=user_id).using_db(conn).delete()
    await Rating.filter(user_id=user_id).using_db(conn).update(text="", tags=[])
    if keys:
        await outbox.enqueue(
            topic=TOPIC_DELETE_FILES, payload={"keys": keys}, aggregate_type="gov_case", using_db=conn
        )


async def delete_erased_materials(*, keys: list[str], upload_dir: str) -> None:
    """Delete the stored case materials of an erased person (missing files are fine)."""
    store = LocalFileStore(upload_dir)
    for key in keys:
        await store.delete(str(key))
