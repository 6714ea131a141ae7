"""Prometheus metrics: requests by route, method and status; latency by route and method.

Kept in plain Python (the event loop is single-threaded) and rendered in the Prometheus text format
by this module (issue 12): prometheus_client took a lock per observation and ~50-190 ms to render a
thousand labelled children; here an observation is two additions and a bisect, and a render is a
join over label text built once per child (a few ms).

With several worker processes set PROMETHEUS_MULTIPROC_DIR: each process writes its totals there
(`metrics_<pid>.json`, replaced atomically) every FLUSH_S seconds and before it renders, and /metrics
sums the files of every process that ever served (counters never go backwards, as with
prometheus_client's multiprocess mode). Other workers' figures are then up to FLUSH_S old.
"""

from __future__ import annotations

import bisect
import contextlib
import json
import os
import tempfile
from pathlib import Path
from typing import Any

__all__ = ["BUCKETS", "CONTENT_TYPE_LATEST", "FLUSH_S", "Metrics"]

CONTENT_TYPE_LATEST = "text/plain; version=0.0.4; charset=utf-8"
BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10)
FLUSH_S = 1.0

_REQUESTS = "citizen_http_requests_total"
_LATENCY = "citizen_http_request_duration_seconds"
_HEADER_REQUESTS = (
    f"# HELP {_REQUESTS} HTTP requests by route, method and status\n# TYPE {_REQUESTS} counter\n"
)
_HEADER_LATENCY = f"# HELP {_LATENCY} HTTP request latency by route\n# TYPE {_LATENCY} histogram\n"
_LE = tuple(repr(float(b)) for b in BUCKETS) + ("+Inf",)


def _escape(value: str) -> str:
    return value.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")


def _number(value: float) -> str:
    return repr(float(value))


class Counter:
    """One labelled counter child."""

    __slots__ = ("value",)

    def __init__(self) -> None:
        self.value = 0

    def inc(self, amount: int = 1) -> None:
        self.value += amount


class Histogram:
    """One labelled histogram child: per-bucket counts (not cumulative; the last is +Inf) and sum."""

    __slots__ = ("counts", "sum")

    def __init__(self) -> None:
        self.counts = [0] * (len(BUCKETS) + 1)
        self.sum = 0.0

    def observe(self, seconds: float) -> None:
        # bisect_left: a value equal to a bound belongs to that bucket (le = "less or equal").
        self.counts[bisect.bisect_left(BUCKETS, seconds)] += 1
        self.sum += seconds


class Metrics:
    """This process's request metrics; `render()` answers /metrics (all processes in multiprocess mode)."""

    def __init__(self, directory: str | None = None) -> None:
        self.directory = directory if directory is not None else os.environ.get("PROMETHEUS_MULTIPROC_DIR")
        self._requests: dict[tuple[str, str, str], Counter] = {}
        self._latency: dict[tuple[str, str], Histogram] = {}

    def requests(self, route: str, method: str, status: str) -> Counter:
        """The counter child of (route, method, status), created on first use."""
        key = (route, method, status)
        child = self._requests.get(key)
        if child is None:
            child = self._requests[key] = Counter()
        return child

    def latency(self, route: str, method: str) -> Histogram:
        """The latency histogram child of (route, method), created on first use."""
        key = (route, method)
        child = self._latency.get(key)
        if child is None:
            child = self._latency[key] = Histogram()
        return child

    def observe(self, *, route: str, method: str, status: int, seconds: float) -> None:
        self.requests(route, method, str(status)).inc()
        self.latency(route, method).observe(seconds)

    # ----------------------------------------------------------------------- multiprocess files

    def snapshot(self) -> dict[str, Any]:
        return {
            "requests": [[*key, child.value] for key, child in self._requests.items()],
            "latency": [[*key, child.counts, child.sum] for key, child in self._latency.items()],
        }

    def flush(self) -> None:
        """Write this process's totals to the multiprocess directory (no-op without one)."""
        if not self.directory:
            return
        folder = Path(self.directory)
        folder.mkdir(parents=True, exist_ok=True)
        data = json.dumps(self.snapshot(), separators=(",", ":"))
        handle, temporary = tempfile.mkstemp(dir=folder, prefix=".metrics_", suffix=".tmp")
        try:
            with os.fdopen(handle, "w") as out:
                out.write(data)
            os.replace(temporary, folder / f"metrics_{os.getpid()}.json")
        except BaseException:
            with contextlib.suppress(OSError):
                os.unlink(temporary)
            raise

    def _merged(self) -> tuple[dict[tuple[str, ...], int], dict[tuple[str, ...], tuple[list[int], float]]]:
        requests: dict[tuple[str, ...], int] = {}
        latency: dict[tuple[str, ...], tuple[list[int], float]] = {}
        if not self.directory:
            snapshots = [self.snapshot()]
        else:
            self.flush()
            snapshots = []
            for path in sorted(Path(self.directory).glob("metrics_*.json")):
                with contextlib.suppress(OSError, ValueError):
                    snapshots.append(json.loads(path.read_text()))
        for snapshot in snapshots:
            for route, method, status, value in snapshot.get("requests", ()):
                key = (route, method, status)
                requests[key] = requests.get(key, 0) + value
            for route, method, counts, total in snapshot.get("latency", ()):
                key = (route, method)
                known = latency.get(key)
                if known is None:
                    latency[key] = (list(counts), total)
                else:
                    latency[key] = ([a + b for a, b in zip(known[0], counts, strict=True)], known[1] + total)
        return requests, latency

    # ---------------------------------------------------------------------------------- render

    def render(self) -> bytes:
        """The Prometheus text exposition (format 0.0.4) of every process's request metrics."""
        requests, latency = self._merged()
        lines = [_HEADER_REQUESTS]
        for (route, method, status), value in sorted(requests.items()):
            lines.append(
                f'{_REQUESTS}{{method="{_escape(method)}",route="{_escape(route)}",'
                f'status="{_escape(status)}"}} {_number(value)}\n'
            )
        lines.append(_HEADER_LATENCY)
        for (route, method), (counts, total) in sorted(latency.items()):
            labels = f'method="{_escape(method)}",route="{_escape(route)}"'
            cumulative = 0
            for le, count in zip(_LE, counts, strict=True):
                cumulative += count
                lines.append(f'{_LATENCY}_bucket{{le="{le}",{labels}}} {_number(cumulative)}\n')
            lines.append(f"{_LATENCY}_count{{{labels}}} {_number(cumulative)}\n")
            lines.append(f"{_LATENCY}_sum{{{labels}}} {_number(total)}\n")
        return "".join(lines).encode()
