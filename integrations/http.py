"""The base every adapter builds on: timeouts, retries for idempotent calls only, a circuit breaker,
HMAC signing, and request/acting-user/case ids on every call. Raw responses never leave an adapter.
"""

from __future__ import annotations

import contextvars
import json
import logging
import time
from typing import Any, NamedTuple

import httpx
from tenacity import (
    AsyncRetrying,
    retry_if_exception_type,
    retry_if_not_exception_type,
    stop_after_attempt,
    wait_exponential,
)

from integrations.errors import (
    CircuitOpen,
    IntegrationProtocolError,
    IntegrationRejected,
    IntegrationUnavailable,
)
from integrations.signing import sign_request

__all__ = ["CallContext", "CircuitBreaker", "HttpAdapter", "call_context"]

log = logging.getLogger(__name__)


class CallContext(NamedTuple):
    """Who and what a call is about; sent as headers so departments can trace it.

    Immutable (a tuple: the HTTP edge builds one per request, cheaper than a frozen dataclass).
    """

    request_id: str | None = None
    acting_user: str | None = None
    case_id: str | None = None


# CallContext is immutable, so sharing the default instance is safe.
call_context: contextvars.ContextVar[CallContext] = contextvars.ContextVar(
    "call_context",
    default=CallContext(),  # noqa: B039
)


class CircuitBreaker:
    """Opens after `threshold` consecutive failures; after `cooldown_s` lets one trial call through.

    Per process on purpose: each process learns for itself that a system is down, which needs no
    shared state and fails safe (at worst a few more calls reach a sick system).
    """

    def __init__(self, *, threshold: int = 5, cooldown_s: float = 30.0):
        self.threshold = threshold
        self.cooldown_s = cooldown_s
        self.failures = 0
        self.opened_at: float | None = None

    def before_call(self, system: str) -> None:
        if self.opened_at is None:
            return
        if time.monotonic() - self.opened_at < self.cooldown_s:
            raise CircuitOpen(system, "circuit open")
        # Half-open: let this call through; its result decides.

    def record_success(self) -> None:
        self.failures = 0
        self.opened_at = None

    def record_failure(self) -> None:
        self.failures += 1
        if self.failures >= self.threshold:
            self.opened_at = time.monotonic()


class HttpAdapter:
    """Base class for adapters. Subclasses set `system` and call `self.request(...)`."""

    system = "external"

    def __init__(
        self,
        *,
        base_url: str,
        http: httpx.AsyncClient,
        app_key: str | None = None,
        app_secret: str | None = None,
        timeout_s: float | None = None,
        retries: int = 3,
        breaker: CircuitBreaker | None = None,
    ):
        self.base_url = base_url.rstrip("/")
        self.http = http
        self.app_key = app_key
        self.app_secret = app_secret
        self.timeout_s = timeout_s
        self.retries = retries
        self.breaker = breaker or CircuitBreaker()

    def _headers(self, method: str, url: httpx.URL, body: bytes) -> dict[str, str]:
        context = call_context.get()
        headers = {"Accept": "application/json"}
        if context.request_id:
            headers["X-Request-Id"] = context.request_id
        if context.acting_user:
            headers["X-Acting-User"] = context.acting_user
        if context.case_id:
            headers["X-Case-Id"] = context.case_id
        if self.app_key and self.app_secret:
            headers.update(
                sign_request(
                    app_key=self.app_key,
                    secret=self.app_secret,
                    method=method,
                    path=url.raw_path.decode(),
                    body=body,
                )
            )
        return headers

    async def _send_once(
        self,
        method: str,
        path: str,
        *,
        params: dict[str, Any] | None,
        json_body: Any,
        headers: dict[str, str],
    ) -> httpx.Response:
        self.breaker.before_call(self.system)
        body = b"" if json_body is None else json.dumps(json_body, ensure_ascii=False).encode()
        url = httpx.URL(self.base_url + path, params=params)
        request_headers = self._headers(method, url, body)
        request_headers.update(headers)
        if json_body is not None:
            request_headers["Content-Type"] = "application/json"
        try:
            response = await self.http.request(
                method,
                url,
                content=body or None,
                headers=request_headers,
                timeout=self.timeout_s if self.timeout_s is not None else httpx.USE_CLIENT_DEFAULT,
            )
        except httpx.TimeoutException as error:
            self.breaker.record_failure()
            raise IntegrationUnavailable(self.system, "timeout") from error
        except httpx.TransportError as error:
            self.breaker.record_failure()
            raise IntegrationUnavailable(self.system, f"transport error: {type(error).__name__}") from error
        if response.status_code >= 500 or response.status_code == 429:
            self.breaker.record_failure()
            raise IntegrationUnavailable(
                self.system, f"HTTP {response.status_code}", status=response.status_code
            )
        self.breaker.record_success()
        return response

    async def request(
        self,
        method: str,
        path: str,
        *,
        params: dict[str, Any] | None = None,
        json_body: Any = None,
        headers: dict[str, str] | None = None,
        idempotent: bool | None = None,
    ) -> httpx.Response:
        """Send a request; retried only when idempotent (GET by default, or declared so by the caller)."""
        idempotent = method.upper() in {"GET", "HEAD", "PUT", "DELETE"} if idempotent is None else idempotent
        attempts = self.retries if idempotent else 1
        retrying = AsyncRetrying(
            stop=stop_after_attempt(attempts),
            wait=wait_exponential(multiplier=0.05, max=1.0),
            retry=retry_if_exception_type(IntegrationUnavailable) & retry_if_not_exception_type(CircuitOpen),
            reraise=True,
        )
        async for attempt in retrying:
            with attempt:
                return await self._send_once(
                    method, path, params=params, json_body=json_body, headers=headers or {}
                )
        raise AssertionError("unreachable")  # pragma: no cover

    async def request_json(self, method: str, path: str, **kwargs: Any) -> Any:
        """Send and parse JSON; a 4xx becomes IntegrationRejected, unparseable JSON a protocol error."""
        response = await self.request(method, path, **kwargs)
        try:
            data = response.json()
        except ValueError as error:
            raise IntegrationProtocolError(
                self.system, "response is not JSON", status=response.status_code
            ) from error
        if response.status_code >= 400:
            code = data.get("code") if isinstance(data, dict) else None
            raise IntegrationRejected(
                self.system, f"HTTP {response.status_code}", remote_code=code, status=response.status_code
            )
        return data
