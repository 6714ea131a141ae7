"""`citizen-api users create-staff`: a console sign-in (password + authenticator app) with its roles."""

from __future__ import annotations

import argparse
import getpass
import sys
from typing import Any

__all__ = ["register_staff_commands"]


def _read_password(args: argparse.Namespace) -> str:
    if args.password_stdin:
        return sys.stdin.readline().rstrip("\n")
    first = getpass.getpass("password: ")
    if getpass.getpass("again: ") != first:
        raise SystemExit("the passwords differ")
    return first


def cmd_users_create_staff(args: argparse.Namespace) -> int:
    from citizen_api.cli import _with_db
    from citizen_api.runtime import build_cipher, principal_changes
    from services.accounts import service
    from services.accounts.enums import Role
    from services.common.errors import DomainError
    from services.ops import staff_auth

    grants: list[tuple[Role, str]] = []
    for value in args.role:
        role, _, scope = value.partition(":")
        try:
            grants.append((Role(role), scope))
        except ValueError:
            raise SystemExit(f"unknown role {role!r}: one of {', '.join(r.value for r in Role)}") from None
    password = _read_password(args)

    async def work(settings: Any) -> int:
        try:
            created = await staff_auth.create_staff_account(
                username=args.username,
                password=password,
                display_name=args.name or "",
                user_ref=args.user,
                cipher=build_cipher(settings),
            )
            async with principal_changes(settings) as principals:
                for role, scope in grants:
                    await service.grant_role(
                        user_ref=str(created.account.user_id), role=role, scope=scope, principals=principals
                    )
        except DomainError as error:
            print(f"refused: {error.code} {error.params or ''}", file=sys.stderr)
            return 1
        print(f"staff account {created.account.username} for user {created.account.user_id}")
        print(f"roles: {', '.join(f'{r.value}:{s}' if s else r.value for r, s in grants) or '-'}")
        # Shown once: enrol it in an authenticator app (scan the otpauth URI as a QR code, or type the secret).
        print(f"totp secret: {created.totp_secret}")
        print(f"otpauth uri: {created.provisioning_uri}")
        return 0

    return int(_with_db(work))  # type: ignore[arg-type]


def register_staff_commands(users: Any) -> None:
    """Add `create-staff` to the `users` command group."""
    staff = users.add_parser(
        "create-staff", help="create a console sign-in (password + authenticator code) and grant its roles"
    )
    staff.add_argument("--username", required=True)
    staff.add_argument("--name", help="display name shown in the console")
    staff.add_argument(
        "--user", help="an existing account (id or WeChat openid); default: a new staff-only account"
    )
    staff.add_argument(
        "--role",
        action="append",
        default=[],
        help="role or role:scope, repeatable (e.g. community_staff:<id>)",
    )
    staff.add_argument("--password-stdin", action="store_true", help="read the password from standard input")
    staff.set_defaults(func=cmd_users_create_staff)
