"""A started API has not imported the heavy libraries a few features need (issue 12: RSS per worker).

fhir.resources (HIS), shapely + numpy (school-district geometry) and pypinyin (English doctor names)
cost a worker ~100 MB together; they are imported on the first call that needs them. Checked in a
fresh process, since this test process has imported everything already.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from tests.api.test_education_support import seed_catalogue
from tests.conftest import free_port

ROOT = Path(__file__).resolve().parents[2]
HEAVY = ("fhir.resources", "shapely", "numpy", "pypinyin")

# Serves the app in this process (as tests/conftest.py start_server does) and reports, after each
# step, which of HEAVY it has imported.
_SCRIPT = """
import asyncio, json, sys
import httpx
from citizen_api.app import create_app
from citizen_api.settings import Settings

HEAVY = {heavy!r}

async def main():
    settings = Settings()
    app = create_app(settings)
    server = await app.create_server(
        host="127.0.0.1", port=settings.port, return_asyncio_server=True, access_log=False
    )
    await server.startup()
    await server.before_start()
    await server.after_start()
    seen = {{}}
    try:
        async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{{settings.port}}", timeout=30) as http:
            async def step(name, path, params=None):
                if path:
                    answer = await http.get(path, params=params)
                    assert answer.status_code == 200, (path, answer.status_code, answer.text)
                seen[name] = [m for m in HEAVY if m in sys.modules]

            await step("started", None)
            await step("reads", "/health")
            await step("reads", "/api/v1/tourism/scenic-areas")
            await step("reads", "/api/v1/education/schools", {{"level": "primary"}})
            await step("lookup", "/api/v1/education/districts/lookup",
                       {{"lat": 35.080, "lng": 112.600, "level": "primary"}})
            await step("care", "/api/v1/care/hospitals")
            await step("care_en", "/api/v1/care/departments/jy-rmyy-nk/doctors", {{"lang": "en"}})
    finally:
        await server.before_stop()
        await server.close()
        await server.after_stop()
    print("SEEN " + json.dumps(seen))

asyncio.run(main())
"""


async def test_started_app__heavy_libraries_load_on_first_use_only(settings, db) -> None:
    await seed_catalogue()  # the districts the lookup reads (seeding parses geometry: done here)
    env = {k: v for k, v in os.environ.items() if not k.startswith("CITIZEN_")}
    env.update(
        PYTHONPATH=str(ROOT),
        CITIZEN_PROFILE="test",
        CITIZEN_DATABASE_URL=settings.database_url,
        CITIZEN_PORT=str(free_port()),
        CITIZEN_HOST="127.0.0.1",
        CITIZEN_SANDBOXES="true",
        CITIZEN_RUN_WORKER_IN_PROCESS="false",
        CITIZEN_SECRET_KEY=settings.secret_key.get_secret_value(),
        CITIZEN_UPLOAD_DIR=settings.upload_dir,
        CITIZEN_LOG_LEVEL="WARNING",
    )
    if settings.redis_url:
        env.update(CITIZEN_REDIS_URL=settings.redis_url, CITIZEN_REDIS_PREFIX=settings.redis_prefix + "fp:")
    done = subprocess.run(
        [sys.executable, "-c", _SCRIPT.format(heavy=HEAVY)],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=180,
        check=False,
    )
    lines = [row for row in done.stdout.splitlines() if row.startswith("SEEN ")]
    assert done.returncode == 0 and lines, done.stdout[-2000:] + done.stderr[-4000:]
    seen = json.loads(lines[0].removeprefix("SEEN "))
    # Started and serving plain reads: none of them (fakeredis, the embedded profile's stand-in for
    # Redis, imports numpy itself; a deployment runs on a real Redis).
    allowed = set() if settings.redis_url else {"numpy"}
    assert set(seen["started"]) <= allowed and set(seen["reads"]) <= allowed
    # The first point lookup builds the district geometry; care calls validate FHIR; English doctor
    # names are pinyin.
    assert {"shapely", "numpy"} <= set(seen["lookup"]) and "fhir.resources" not in seen["lookup"]
    assert "fhir.resources" in seen["care"]
    assert "pypinyin" in seen["care_en"]
