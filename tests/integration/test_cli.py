"""The `make run` path on a fresh SQLite database: migrate, seed (twice), serve, answer."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from tests.conftest import free_port

ROOT = Path(__file__).resolve().parents[2]
CLI = [sys.executable, "-m", "citizen_api.cli"]


def _env(tmp_path: Path, port: int) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("CITIZEN_")}
    env.update(
        CITIZEN_DATABASE_URL=f"sqlite://{tmp_path}/run.sqlite3",
        CITIZEN_PORT=str(port),
        CITIZEN_UPLOAD_DIR=str(tmp_path / "uploads"),
        CITIZEN_LOG_JSON="true",
    )
    return env


def _run(args: list[str], env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run([*CLI, *args], cwd=ROOT, env=env, capture_output=True, text=True, timeout=180)


@pytest.mark.slow
def test_cli__migrate_seed_serve_on_a_fresh_database(tmp_path: Path) -> None:
    port = free_port()
    env = _env(tmp_path, port)
    migrated = _run(["migrate"], env)
    assert migrated.returncode == 0, migrated.stderr
    assert "migrations up to date" in migrated.stdout
    first = _run(["seed", "--demo"], env)
    assert first.returncode == 0, first.stderr
    again = _run(["seed", "--demo"], env)  # idempotent: a second run changes nothing and does not fail
    assert again.returncode == 0, again.stderr
    assert "demo data ready" in again.stdout

    server = subprocess.Popen(
        [*CLI, "serve"], cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE
    )
    try:
        base = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 60
        while True:
            try:
                if httpx.get(f"{base}/health", timeout=1).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            assert server.poll() is None, server.stderr.read().decode() if server.stderr else "server exited"
            assert time.monotonic() < deadline, "server did not start"
            time.sleep(0.3)
        assert httpx.get(f"{base}/ready", timeout=5).json()["checks"] == {"database": "ok", "redis": "ok"}
        assert httpx.get(f"{base}/docs", timeout=5).status_code == 200
        assert httpx.get(f"{base}/docs/openapi.json", timeout=5).json()["info"]["title"]
    finally:
        server.send_signal(signal.SIGINT)
        try:
            server.wait(timeout=20)
        except subprocess.TimeoutExpired:
            server.kill()


def test_cli__refuses_unsafe_production_configuration(tmp_path: Path) -> None:
    env = _env(tmp_path, free_port())
    env["CITIZEN_PROFILE"] = "production"
    result = _run(["migrate"], env)
    assert result.returncode != 0
    assert "refusing to start in production" in (result.stderr + result.stdout)


def test_cli__unknown_sandbox_is_a_clear_error(tmp_path: Path) -> None:
    result = _run(["sandbox", "no-such-system", "--port", str(free_port())], _env(tmp_path, free_port()))
    assert result.returncode != 0 and "unknown sandbox" in result.stderr
