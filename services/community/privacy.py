"""PIPL export and erasure of what the community domain holds about a person (called by accounts).

Erasure also removes the stored bytes of the person's uploads (report photos and other files; the
attachments of notices they published for their community stay with the notice): the rows go in
the deletion's transaction and an outbox message deletes the files once it has committed.
"""

from __future__ import annotations

import uuid
from typing import Any

from services.common import outbox
from services.common.crypto import PiiCipher
from services.common.storage import LocalFileStore
from services.community.models import CommunityFile, Membership, Notice, NoticeRead, Report, ReportFollower

__all__ = ["TOPIC_FILES_ERASED", "delete_erased_files", "erase_user_data", "export_user_data"]

TOPIC_FILES_ERASED = "community.files_erased"


def _clear(cipher: PiiCipher, token: str | None, column: str) -> str | None:
    return cipher.decrypt(token, context=column) if token else None


async def export_user_data(*, user_id: uuid.UUID, cipher: PiiCipher) -> dict[str, Any]:
    """Membership (with the home address), reports filed and followed, notices read, uploads."""
    membership = await Membership.get_or_none(user_id=user_id)
    reports = await Report.filter(reporter_id=user_id).order_by("created_at")
    followed = await ReportFollower.filter(user_id=user_id).values_list("report_id", flat=True)
    reads = await NoticeRead.filter(user_id=user_id).order_by("read_at")
    files = await CommunityFile.filter(owner_id=user_id).order_by("created_at")
    return {
        "membership": (
            {
                "community_id": str(membership.community_id),
                "status": membership.status.value,
                "address": _clear(cipher, membership.address_enc, "community_membership.address"),
                "joined_at": membership.created_at.isoformat(),
            }
            if membership
            else None
        ),
        "reports": [
            {
                "id": str(r.id),
                "category": r.category.value,
                "description": r.description,
                "status": r.status.value,
                "lat": r.lat,
                "lng": r.lng,
                "address": _clear(cipher, r.address_enc, "community_report.address"),
                "contact_phone": _clear(cipher, r.contact_phone_enc, "community_report.contact_phone"),
                "created_at": r.created_at.isoformat(),
            }
            for r in reports
        ],
        "reports_followed": [str(r) for r in followed],
        "notices_read": [{"notice_id": str(r.notice_id), "read_at": r.read_at.isoformat()} for r in reads],
        "uploads": [
            {
                "id": str(f.id),
                "content_type": f.content_type,
                "size": f.size,
                "uploaded_at": f.created_at.isoformat(),
            }
            for f in files
        ],
    }


async def erase_user_data(*, user_id: uuid.UUID, conn: Any) -> None:
    """Forget the person; their reports stay (the pothole is still there) but without anything they
    wrote, photographed or gave as contact, and their uploaded files are deleted."""
    await Membership.filter(user_id=user_id).using_db(conn).delete()
    await NoticeRead.filter(user_id=user_id).using_db(conn).delete()
    await ReportFollower.filter(user_id=user_id).using_db(conn).delete()
    await (
        Report.filter(reporter_id=user_id)
        .using_db(conn)
        .update(
            reporter_id=None,
            description="",
            public_description=None,
            photos=[],
            photos_public=False,
            attributes={},
            address_enc=None,
            contact_name_enc=None,
            contact_phone_enc=None,
            contact_email_enc=None,
        )
    )
    # Attachments of notices the person posted belong to the community's notice, not to them.
    kept = {
        str(attachment.get("file_id"))
        for notice in await Notice.filter(author_id=user_id).using_db(conn)
        for attachment in notice.attachments or []
    }
    files = [f for f in await CommunityFile.filter(owner_id=user_id).using_db(conn) if str(f.id) not in kept]
    if not files:
        return
    await CommunityFile.filter(id__in=[f.id for f in files]).using_db(conn).delete()
    await outbox.enqueue(
        topic=TOPIC_FILES_ERASED,
        payload={"keys": [f.key for f in files]},
        aggregate_type="community_file",
        using_db=conn,
    )


async def delete_erased_files(*, keys: list[str], upload_dir: str) -> None:
    """Delete the stored bytes of an erased person's uploads (missing files are fine)."""
    store = LocalFileStore(upload_dir)
    for key in keys:
        await store.delete(str(key))
