"""Schemathesis against the real app: every phase, every check (response-schema conformance included).

Two runs: without credentials and as a signed-in real-name user. A bounded number of examples per
operation keeps it to a few minutes; any finding fails the test with schemathesis's own report.
"""

from __future__ import annotations

import asyncio
import os
import shutil
import sys
from pathlib import Path

import pytest

from citizen_api.app import create_app
from services.accounts.enums import VerificationLevel
from tests.conftest import free_port, start_server, stop_server
from tests.factories import auth_headers, make_user

pytestmark = pytest.mark.slow

# Operations that end the caller's own session or account: the run would go on signed out.
_SESSION_ENDING = ("delete_api_v1_me", "post_api_v1_auth_logout")


def _schemathesis() -> list[str]:
    found = shutil.which("schemathesis", path=str(Path(sys.executable).parent)) or shutil.which(
        "schemathesis"
    )
    if found is None:
        pytest.fail("schemathesis is not installed (pip install -e '.[test]')")
    return [found]


async def _run(settings, headers: dict[str, str], report: Path) -> tuple[int, str]:
    args = [
        *_schemathesis(),
        f"--config-file={Path(__file__).with_name('schemathesis.toml')}",
        "run",
        f"{settings.base_url}/docs/openapi.json",
        "--checks=all",
        "--phases=examples,coverage,fuzzing,stateful",
        f"--max-examples={os.environ.get('CITIZEN_SCHEMATHESIS_EXAMPLES', '3')}",
        "--seed=20261201",
        "--generation-deterministic",
        "--no-shrink",
        "--workers=1",
        "--request-timeout=20",
        "--continue-on-failure",
        "--no-color",
        "--suppress-health-check=all",
        # Every field refuses NUL (citizen_api/middleware.py, request.nul_byte), as the document says.
        "--generation-allow-x00=false",
        f"--report-junit-path={report}",
    ]
    for operation in _SESSION_ENDING:
        args.append(f"--exclude-operation-id={operation}")
    for name, value in headers.items():
        args += ["-H", f"{name}: {value}"]
    env = {
        **os.environ,
        "SCHEMATHESIS_HOOKS": "tests.api.openapi_schemathesis_hooks",
        "CITIZEN_SCHEMATHESIS_BASE_URL": settings.base_url,
    }
    process = await asyncio.create_subprocess_exec(
        *args, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT, env=env
    )
    output, _ = await process.communicate()
    return process.returncode or 0, output.decode(errors="replace")


@pytest.mark.timeout(1800)
@pytest.mark.parametrize("who", ["anonymous", "real_name"])
async def test_schemathesis__no_findings(app, settings, tmp_path: Path, who: str) -> None:
    # An app of its own: its sandboxes start empty, and what the fuzzer left in them (households,
    # tickets, gate figures) cannot reach the next tests of the session. Tables and Redis keys are
    # cleared after the test as for any other (`app` keeps the session's isolation for them).
    own = settings.model_copy(update={"port": free_port()})
    server = await start_server(create_app(own), own.port)
    try:
        headers: dict[str, str] = {}
        if who == "real_name":
            user = await make_user(level=VerificationLevel.REAL_NAME)
            headers = auth_headers(user, own)
        code, output = await _run(own, headers, tmp_path / "junit.xml")
    finally:
        await stop_server(server)
    assert code == 0, output[-20000:]
