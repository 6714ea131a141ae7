"""The README's commands are run, so the README cannot drift from the API again.

Every ```bash block of README.md that calls the API (`$B/...`) is run, in order, as one bash script
against the test server with the demo data seeded (variables carry from block to block, as for a
reader following along). A command that fails, a jq filter that does not parse, a field named by a
jq filter that the answer does not have (jq would print `null`), or a 5xx from any call fails it. Every `citizen-api ...`
command line of the README is parsed by the real CLI parser (placeholders like `<id>` filled in).
"""

from __future__ import annotations

import asyncio
import os
import re
import shlex
import tempfile
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from citizen_api import composition
from citizen_api.app import create_app
from citizen_api.cli import _parser
from services.common.seeding import SeedContext, run_seeds
from services.search.indexing import reindex
from tests.conftest import free_port, start_server, stop_server

README = Path(__file__).resolve().parents[2] / "README.md"
BLOCK = re.compile(r"^```(?:bash|sh)\n(.*?)^```", re.S | re.M)
# A reader's shell: stop at the first failure; each curl call's status is logged to check for 5xx.
PRELUDE = r"""set -eo pipefail
curl() {
  case " $* " in
    *" -w "*) command curl "$@" ;;
    *) command curl -w '\n%{http_code} %{url_effective}\n' "$@" | tee -a "$STATUS_LOG" | sed '$d' ;;
  esac
}
# Every field a jq filter names (.name, {name, ...}) must be a key somewhere in the answer: a field
# the API does not have would only print null.
jq() {
  local filter="" arg input key
  for arg in "$@"; do case "$arg" in -*) ;; *) filter="$arg"; break ;; esac; done
  input=$(cat)
  for key in $(printf '%s' "$filter" | grep -oP '\.[a-z_]\w*|(?<=[{,])\s*[a-z_]\w*(?=\s*[,}])' | grep -oE '[a-z_][a-z_0-9]*' | sort -u); do
    if ! printf '%s' "$input" | command jq -e --arg k "$key" '[.. | objects | has($k)] | any' >/dev/null 2>&1; then
      echo "MISSING FIELD $key in: jq $filter" >> "$STATUS_LOG"
    fi
  done
  printf '%s' "$input" | command jq "$@"
}
"""


def api_blocks(text: str) -> list[str]:
    """The walk-through blocks: those that call the API at $B."""
    return [block for block in BLOCK.findall(text) if "$B/" in block or "$B " in block]


def cli_lines(text: str) -> list[str]:
    """Every `citizen-api ...` command line in the README's code blocks (continuations joined)."""
    lines = []
    for block in BLOCK.findall(text):
        for line in block.replace("\\\n", " ").splitlines():
            line = line.split(" # ")[0].strip()
            if line.startswith("#"):
                continue
            # One command per part of a chain: `citizen-api migrate && citizen-api seed --demo`.
            for part in re.split(r"\s*(?:&&|\|\||;|&)\s*", line):
                match = re.search(r"(?:^|\s|/)citizen-api (.+)$", part)
                if match:
                    lines.append(match.group(1))
    return lines


def test_readme__every_cli_command_parses() -> None:
    lines = cli_lines(README.read_text())
    assert len(lines) >= 8, lines
    parser = _parser()
    for line in lines:
        argv = shlex.split(re.sub(r"<[^>]+>", "x", line).replace("$PASSWORD", "x"))
        try:
            parser.parse_args(argv)
        except SystemExit as exit_:
            pytest.fail(f"README command does not parse: citizen-api {line} ({exit_})")


@pytest.fixture
async def demo(runtime) -> None:
    await run_seeds(SeedContext(cipher=runtime.cipher), seeders=composition.seeders())
    await reindex(composition.search_sources())


@pytest.fixture
async def embedded_server(settings, app) -> AsyncIterator[str]:
    """A server as `make run` starts it: the embedded profile's permissive sandboxes (any login code)."""
    port = free_port()
    server = await start_server(
        create_app(settings.model_copy(update={"profile": "embedded", "port": port})), port
    )
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        await stop_server(server)


async def test_readme__walk_throughs_run_against_the_server(embedded_server: str, demo) -> None:
    blocks = api_blocks(README.read_text())
    assert len(blocks) >= 6, "the README's walk-throughs were not found"
    folder = Path(tempfile.mkdtemp(prefix="readme-"))
    status_log = folder / "status.log"
    script = PRELUDE + "\n".join(blocks)
    env = {
        **os.environ,
        "STATUS_LOG": str(status_log),
        "TMPDIR": str(folder),
        "PATH": f"{Path(os.sys.executable).parent}:{os.environ.get('PATH', '')}",
    }
    # The README's `B=http://127.0.0.1:8000` is this test server.
    script = script.replace("B=http://127.0.0.1:8000", f"B={embedded_server}")
    process = await asyncio.create_subprocess_exec(
        "bash",
        "-c",
        script,
        env=env,
        cwd=folder,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    out, err = await asyncio.wait_for(process.communicate(), timeout=60)
    output, errors = out.decode(), err.decode()
    assert process.returncode == 0, f"exit {process.returncode}\n{output[-3000:]}\n{errors[-3000:]}"
    statuses = [
        line.split(" ", 1) for line in status_log.read_text().splitlines() if re.match(r"^\d{3} http", line)
    ]
    assert len(statuses) >= 30, statuses
    server_errors = [s for s in statuses if s[0].startswith("5") or s[0] == "000"]
    assert server_errors == [], server_errors
    # A field the answer does not have (e.g. `{name, promised_days}`, `[.timeline[].status]`).
    missing = [line for line in status_log.read_text().splitlines() if line.startswith("MISSING FIELD")]
    assert missing == [], "\n".join(missing)
