"""Errors of the notifications domain.

DomainError
 └── NotFound
      └── InboxMessageNotFound      no such message in the caller's inbox (another user's is the same 404)
"""

from __future__ import annotations

from services.common.errors import NotFound

__all__ = ["InboxMessageNotFound"]


class InboxMessageNotFound(NotFound):
    code = "notifications.message_not_found"
