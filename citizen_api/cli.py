"""`citizen-api`: serve | worker | migrate | makemigrations | seed | sandbox | ... — the one CLI."""

from __future__ import annotations

import argparse
import asyncio
import signal
import sys
from collections.abc import Callable
from functools import partial

from citizen_api import composition
from citizen_api.settings import Settings

__all__ = ["main"]


def _settings() -> Settings:
    try:
        settings = Settings()
    except ValueError as error:
        raise SystemExit(f"configuration error: {error}") from None
    from citizen_api.runtime import build_audit_keyring
    from services.common.audit import install_keyring

    # Every command that writes or checks the audit chain signs with the configured keys.
    install_keyring(build_audit_keyring(settings))
    return settings


def cmd_serve(args: argparse.Namespace) -> int:
    from sanic import Sanic
    from sanic.worker.loader import AppLoader
    from sanic.worker.manager import WorkerManager

    from citizen_api.server import create_served_app, install_bounded_shutdown

    overrides = {k: v for k, v in {"host": args.host, "port": args.port}.items() if v is not None}
    settings = _settings().model_copy(update=overrides)
    if args.workers > 1 and not settings.redis_url:
        raise SystemExit("--workers > 1 needs CITIZEN_REDIS_URL: the in-process fakeredis cannot be shared")
    if args.workers > 1 and settings.run_worker_in_process:
        settings = settings.model_copy(update={"run_worker_in_process": False})
        print("note: with several API workers, run jobs with `citizen-api worker`", file=sys.stderr)
    # Sanic gives worker processes 30 s to come up; a busy host (imports, pool warm-up) can need more.
    WorkerManager.THRESHOLD = 1200  # tenths of a second
    # SIGTERM / SIGINT (Ctrl-C): in-flight requests finish, everything stops within the grace, exit 0.
    install_bounded_shutdown()
    loader = AppLoader(factory=partial(create_served_app, settings, name="citizen_api"))
    app = loader.load()
    app.prepare(host=settings.host, port=settings.port, workers=args.workers, dev=args.dev, access_log=False)
    Sanic.serve(primary=app, app_loader=loader)
    return 0


def cmd_worker(args: argparse.Namespace) -> int:
    from citizen_api.logging import configure_logging
    from citizen_api.runtime import close_runtime, open_runtime
    from citizen_api.worker import run_worker

    settings = _settings()
    configure_logging(level=settings.log_level, json_logs=settings.log_json)

    async def main() -> None:
        runtime = await open_runtime(settings)
        task = asyncio.current_task()
        loop = asyncio.get_running_loop()
        # A supervisor stops workers with SIGTERM: finish the current delivery, release, close cleanly.
        for stop in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(stop, task.cancel)
        try:
            await run_worker(runtime)
        except asyncio.CancelledError:
            pass
        finally:
            await close_runtime(runtime)

    try:
        asyncio.run(main())
    except KeyboardInterrupt:
        pass
    return 0


def _ensure_sqlite_dir(url: str) -> None:
    if url.startswith("sqlite://") and ":memory:" not in url:
        from pathlib import Path

        Path(url.removeprefix("sqlite://").split("?")[0]).parent.mkdir(parents=True, exist_ok=True)


def cmd_migrate(args: argparse.Namespace) -> int:
    from services.common.db import close_db, migrate

    settings = _settings()
    _ensure_sqlite_dir(settings.database_url)

    def progress(event: str, app_label: str, name: str) -> None:
        if event == "apply_done":
            print(f"  applied {app_label}.{name}")

    async def main() -> None:
        try:
            await migrate(settings.database_url, apps=composition.tortoise_apps(), progress=progress)
        finally:
            await close_db()

    asyncio.run(main())
    print("migrations up to date")
    return 0


def cmd_makemigrations(args: argparse.Namespace) -> int:
    """Developer command: write migrations for model changes (wraps Tortoise's own)."""
    from tortoise.cli import cli as tortoise_cli

    from services.common.db import tortoise_config

    settings = _settings()
    _ensure_sqlite_dir(settings.database_url)
    from services.common import db

    # Tortoise's CLI takes a dotted path to a config dict; publish ours for this one command.
    db.CLI_CONFIG = tortoise_config(settings.database_url, apps=composition.tortoise_apps())  # type: ignore[attr-defined]
    ctx = tortoise_cli.CLIContext(config="services.common.db.CLI_CONFIG", config_file=None)

    async def main() -> None:
        await tortoise_cli.makemigrations(ctx, tuple(args.apps), args.empty, args.name)

    asyncio.run(main())
    return 0


def cmd_seed(args: argparse.Namespace) -> int:
    from tqdm import tqdm

    from citizen_api.runtime import build_cipher
    from services.common.db import close_db, init_db
    from services.common.seeding import SeedContext, run_seeds

    if not args.demo:
        raise SystemExit("nothing to seed: pass --demo for the Jiyuan demo data")
    settings = _settings()

    async def main() -> int:
        await init_db(settings.database_url, apps=composition.tortoise_apps())
        try:
            with tqdm(
                total=len(composition.seeders()), unit="domain", desc="seeding", file=sys.stderr
            ) as bar:
                ctx = SeedContext(
                    cipher=build_cipher(settings), progress=lambda label: bar.set_postfix_str(label)
                )

                def done(domain: str, rows: int) -> None:
                    bar.write(f"  {domain}: {rows} rows")
                    bar.update(1)

                total = await run_seeds(ctx, seeders=composition.seeders(), on_domain=done)
            from services.search.indexing import reindex

            indexed = await reindex(composition.search_sources())
            print(f"  search: {sum(indexed.values())} documents from {', '.join(indexed)}")
            return total
        finally:
            await close_db()

    total = asyncio.run(main())
    print(f"demo data ready ({total} rows written)")
    return 0


def cmd_sandbox(args: argparse.Namespace) -> int:
    from integrations.sandbox import SandboxOptions, create_sandbox_app

    settings = _settings()
    options = SandboxOptions.from_settings(settings, args.name)
    options.permissive = args.permissive
    try:
        app = create_sandbox_app(args.name, options, app_name=f"sandbox_{args.name}")
    except ValueError as error:
        raise SystemExit(str(error)) from None
    app.run(host=args.host, port=args.port, single_process=True, access_log=False)
    return 0


COMMANDS: dict[str, Callable[[argparse.ArgumentParser], None]] = {}


def _with_db(work: Callable[[Settings], object]) -> object:
    """Run the coroutine function `work(settings)` with the database open."""
    from services.common.db import close_db, init_db

    settings = _settings()

    async def main() -> object:
        await init_db(settings.database_url, apps=composition.tortoise_apps())
        try:
            return await work(settings)  # type: ignore[misc]
        finally:
            await close_db()

    return asyncio.run(main())


def cmd_users_grant_role(args: argparse.Namespace) -> int:
    from services.accounts import service
    from services.accounts.enums import Role
    from services.common.errors import DomainError

    async def work(settings: Settings) -> int:
        from citizen_api.runtime import principal_changes

        try:
            async with principal_changes(settings) as principals:
                grant = await service.grant_role(
                    user_ref=args.user,
                    role=Role(args.role),
                    scope=args.scope or "",
                    operator=args.operator,
                    principals=principals,
                )
        except DomainError as error:
            print(f"refused: {error.code} {error.params or ''}", file=sys.stderr)
            return 1
        print(f"granted {grant.role} scope={grant.scope or '-'} to user {grant.user_id}")
        return 0

    return int(_with_db(work))  # type: ignore[arg-type]


def cmd_users_reencrypt_pii(args: argparse.Namespace) -> int:
    from citizen_api.runtime import build_cipher
    from services.accounts import service

    async def work(settings: Settings) -> int:
        changed = await service.reencrypt_pii(cipher=build_cipher(settings))
        print(f"re-encrypted personal data of {changed} accounts with key {settings.pii_active_key_id}")
        return 0

    return int(_with_db(work))  # type: ignore[arg-type]


def cmd_audit_verify(args: argparse.Namespace) -> int:
    from services.common.audit import verify_chain

    async def work(settings: Settings) -> int:
        from tqdm import tqdm

        with tqdm(unit="entry", desc="verifying", file=sys.stderr, disable=None) as bar:
            report = await verify_chain(progress=bar.update, checkpoint_dir=settings.audit_checkpoint_dir)
        print(report.describe())
        return 0 if report.ok else 1

    return int(_with_db(work))  # type: ignore[arg-type]


def cmd_audit_checkpoint(args: argparse.Namespace) -> int:
    from services.common.audit import write_checkpoint

    async def work(settings: Settings) -> int:
        checkpoint = await write_checkpoint(settings.audit_checkpoint_dir)
        if checkpoint is None:
            print("nothing new to anchor")
        else:
            print(f"anchored entry {checkpoint.seq} in {settings.audit_checkpoint_dir}")
        return 0

    return int(_with_db(work))  # type: ignore[arg-type]


def _register_accounts(sub) -> None:
    from services.accounts.enums import Role

    users = sub.add_parser("users", help="manage user accounts").add_subparsers(
        dest="users_command", required=True
    )
    grant = users.add_parser("grant-role", help="give a user a role (scoped roles need --scope)")
    grant.add_argument("--user", required=True, help="user id or WeChat openid")
    grant.add_argument("--role", required=True, choices=[r.value for r in Role])
    grant.add_argument("--scope", default="", help="community id (community_staff) or department code")
    grant.add_argument("--operator", required=True, help="who is granting it (recorded in the audit log)")
    grant.set_defaults(func=cmd_users_grant_role)
    rotate = users.add_parser(
        "reencrypt-pii", help="after a PII key rotation: rewrite old rows with the active key"
    )
    rotate.set_defaults(func=cmd_users_reencrypt_pii)
    from citizen_api.staff_cli import register_staff_commands

    register_staff_commands(users)
    audit = sub.add_parser("audit", help="the audit log").add_subparsers(dest="audit_command", required=True)
    verify = audit.add_parser(
        "verify", help="check the HMAC chain and the signed checkpoints; prints OK or the first broken link"
    )
    verify.set_defaults(func=cmd_audit_verify)
    anchor = audit.add_parser("checkpoint", help="anchor the chain head in the checkpoint directory now")
    anchor.set_defaults(func=cmd_audit_checkpoint)


COMMANDS["accounts"] = _register_accounts


def cmd_education_verify_lottery(args: argparse.Namespace) -> int:
    """Recompute a school's draw from its public record; exit 0 when it verifies, 1 otherwise."""
    from services.common.errors import DomainError
    from services.education import admission
    from services.education.lottery import verify_record

    def report(record: dict, verification) -> int:
        drawn = record.get("result") or {}
        print(
            f"round {record.get('round_code')} school {record.get('school_code')}: "
            f"commitment {record.get('commitment')} seed {record.get('seed') or '(sealed)'} "
            f"{len(drawn.get('order') or [])} applicants, {record.get('places')} places"
        )
        if verification.ok:
            print("VERIFIED: the seed matches the commitment and the result recomputes exactly")
            return 0
        for problem in verification.problems:
            print(f"FAILED: {problem}")
        return 1

    if args.url:
        import httpx

        path = f"/api/v1/education/rounds/{args.round}/lotteries/{args.school}"
        response = httpx.get(args.url.rstrip("/") + path, timeout=30)
        if response.status_code != 200:
            print(f"refused: HTTP {response.status_code} {response.text[:200]}", file=sys.stderr)
            return 1
        record = response.json()
        return report(record, verify_record(record))

    async def work(settings: Settings) -> int:
        try:
            record = await admission.public_lottery(round_id=args.round, school_id=args.school)
        except DomainError as error:
            print(f"refused: {error.code}", file=sys.stderr)
            return 1
        return report(record, verify_record(record))

    return int(_with_db(work))  # type: ignore[arg-type]


def cmd_education_import_districts(args: argparse.Namespace) -> int:
    """Load a published school-districts GeoJSON file (format: services/education/data/README.md)."""
    from services.common.errors import DomainError
    from services.education import catalogue

    async def work(settings: Settings) -> int:
        try:
            count = await catalogue.import_districts_file(args.file)
        except DomainError as error:
            print(f"refused: {error.code} {error.params or ''}", file=sys.stderr)
            return 1
        print(f"imported {count} school districts from {args.file}")
        return 0

    return int(_with_db(work))  # type: ignore[arg-type]


def _register_education(sub) -> None:
    education = sub.add_parser("education", help="education: lotteries and school districts").add_subparsers(
        dest="education_command", required=True
    )
    verify = education.add_parser(
        "verify-lottery", help="recompute a school's 电脑随机派位 from its published seed and inputs"
    )
    verify.add_argument("round", help="round id or code")
    verify.add_argument("school", help="school id or code")
    verify.add_argument(
        "--url", help="verify the record a running API publishes (e.g. http://127.0.0.1:8000)"
    )
    verify.set_defaults(func=cmd_education_verify_lottery)
    districts = education.add_parser(
        "import-districts", help="load a published school-districts GeoJSON file"
    )
    districts.add_argument("file")
    districts.set_defaults(func=cmd_education_import_districts)


COMMANDS["education"] = _register_education


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="citizen-api", description="智慧济源 citizen services backend")
    sub = parser.add_subparsers(dest="command", required=True)

    serve = sub.add_parser("serve", help="serve the HTTP API")
    serve.add_argument("--host")
    serve.add_argument("--port", type=int)
    serve.add_argument("--workers", type=int, default=1)
    serve.add_argument("--dev", action="store_true", help="auto-reload and debug")
    serve.set_defaults(func=cmd_serve)

    worker = sub.add_parser("worker", help="run background jobs: outbox delivery, expiries, reminders")
    worker.set_defaults(func=cmd_worker)

    migrate = sub.add_parser("migrate", help="apply database migrations")
    migrate.set_defaults(func=cmd_migrate)

    make = sub.add_parser("makemigrations", help="(developers) write migrations for model changes")
    make.add_argument("apps", nargs="*")
    make.add_argument("--name")
    make.add_argument("--empty", action="store_true")
    make.set_defaults(func=cmd_makemigrations)

    seed = sub.add_parser("seed", help="load data")
    seed.add_argument("--demo", action="store_true", help="the Jiyuan demo data (idempotent)")
    seed.set_defaults(func=cmd_seed)

    sandbox = sub.add_parser("sandbox", help="run one outside-system simulator standalone")
    sandbox.add_argument("name")
    sandbox.add_argument("--host", default="127.0.0.1")
    sandbox.add_argument("--port", type=int, default=9100)
    sandbox.add_argument("--permissive", action="store_true", help="accept any login/phone code")
    sandbox.set_defaults(func=cmd_sandbox)

    for register in COMMANDS.values():
        register(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    return args.func(args) or 0


if __name__ == "__main__":
    raise SystemExit(main())
