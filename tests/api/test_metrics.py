"""Operator pages of issue 12: /metrics (Prometheus text format, labelled by route template, method and
status, summed over worker processes with PROMETHEUS_MULTIPROC_DIR) and the OpenAPI document built once."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import httpx
from prometheus_client.parser import text_string_to_metric_families

from citizen_api.metrics import BUCKETS, Metrics

ROOT = Path(__file__).resolve().parents[2]


def _samples(text: str) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    """(sample name, sorted labels) -> value, parsed by prometheus_client's own parser."""
    return {
        (sample.name, tuple(sorted(sample.labels.items()))): sample.value
        for family in text_string_to_metric_families(text)
        for sample in family.samples
    }


def _requests(samples, route: str, method: str = "GET", status: str = "200") -> float:
    key = ("citizen_http_requests_total", (("method", method), ("route", route), ("status", status)))
    return samples.get(key, 0.0)


async def test_metrics__route_template_method_and_status_with_a_histogram(client: httpx.AsyncClient) -> None:
    before = _samples((await client.get("/metrics")).text)
    for _ in range(3):
        await client.get("/api/v1/tourism/scenic-areas/not-an-id")  # 404 from the handler
    await client.post("/health")  # 405, no route matched
    answer = await client.get("/metrics")
    assert answer.headers["content-type"].startswith("text/plain; version=0.0.4")
    after = _samples(answer.text)
    route = "/api/v1/tourism/scenic-areas/<area_id:str>"
    # Labelled by the route's template, not the URL asked for.
    assert _requests(after, route, status="404") - _requests(before, route, status="404") == 3
    assert not any("not-an-id" in dict(labels).get("route", "") for _, labels in after)
    # A method the path does not serve matched no route (one label, whatever the URL).
    assert _requests(after, "unmatched", "POST", "405") - _requests(before, "unmatched", "POST", "405") == 1
    labels = (("method", "GET"), ("route", route))
    count = after[("citizen_http_request_duration_seconds_count", labels)]
    assert count - before.get(("citizen_http_request_duration_seconds_count", labels), 0) == 3
    buckets = [
        after[("citizen_http_request_duration_seconds_bucket", (("le", le), *labels))]
        for le in [repr(float(b)) for b in BUCKETS] + ["+Inf"]
    ]
    assert buckets == sorted(buckets) and buckets[-1] == count  # cumulative, +Inf is the count
    assert after[("citizen_http_request_duration_seconds_sum", labels)] > 0


def test_metrics__bucket_bounds_are_inclusive_and_labels_escaped() -> None:
    metrics = Metrics(directory="")
    metrics.observe(route='/a"b\\c', method="GET", status=200, seconds=0.005)  # on a bound: le="0.005"
    metrics.observe(route='/a"b\\c', method="GET", status=200, seconds=11.0)  # above all: +Inf only
    samples = _samples(metrics.render().decode())
    labels = (("method", "GET"), ("route", '/a"b\\c'))
    assert samples[("citizen_http_request_duration_seconds_bucket", (("le", "0.005"), *labels))] == 1
    assert samples[("citizen_http_request_duration_seconds_bucket", (("le", "10.0"), *labels))] == 1
    assert samples[("citizen_http_request_duration_seconds_bucket", (("le", "+Inf"), *labels))] == 2
    assert samples[("citizen_http_request_duration_seconds_sum", labels)] == 11.005
    assert _requests(samples, '/a"b\\c') == 2


def test_metrics__multiprocess_sums_every_worker(tmp_path: Path) -> None:
    """Each process writes its totals; any process renders the sum (a stopped worker's counts stay)."""
    other = (
        "from citizen_api.metrics import Metrics\n"
        f"m = Metrics(directory={str(tmp_path)!r})\n"
        "for _ in range(3): m.observe(route='/health', method='GET', status=200, seconds=0.002)\n"
        "m.observe(route='/ready', method='GET', status=503, seconds=0.3)\n"
        "m.flush()\n"
    )
    subprocess.run([sys.executable, "-c", other], cwd=ROOT, env={"PYTHONPATH": str(ROOT)}, check=True)
    mine = Metrics(directory=str(tmp_path))
    for _ in range(2):
        mine.observe(route="/health", method="GET", status=200, seconds=0.02)
    samples = _samples(mine.render().decode())
    assert _requests(samples, "/health") == 5
    assert _requests(samples, "/ready", status="503") == 1
    labels = (("method", "GET"), ("route", "/health"))
    assert samples[("citizen_http_request_duration_seconds_bucket", (("le", "0.005"), *labels))] == 3
    assert samples[("citizen_http_request_duration_seconds_bucket", (("le", "0.025"), *labels))] == 5
    assert len(list(tmp_path.glob("metrics_*.json"))) == 2  # rendering wrote this process's file too


async def test_openapi_document__built_once_then_served_from_memory(app, client: httpx.AsyncClient) -> None:
    """/docs/openapi.json is built on the first request; later requests send the same bytes."""
    first = await client.get("/docs/openapi.json")
    body = app.ctx.openapi_body
    assert first.content == body and first.json()["paths"]
    app.ctx.openapi_body = body.replace(b'"openapi"', b'"openapi" ', 1)  # a marker only memory holds
    again = await client.get("/docs/openapi.json")
    app.ctx.openapi_body = body
    assert again.content == body.replace(b'"openapi"', b'"openapi" ', 1)
