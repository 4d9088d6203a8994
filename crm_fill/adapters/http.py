"""HTTP to a CRM: the account's request rate, answers sorted into retryable and permanent errors, short waits.

Every request first takes a slot from the account's rate limiter, so a batch of writes stays under the CRM's
documented limit instead of being refused. Adapters get their limiter from a `Limiters` factory: `limiter_for`, a
token bucket shared by the adapters of one account in this process, unless the caller passes one shared by every
process (the pipeline's, kept in the database). When the CRM still answers "too many requests" and says to wait a
little (up to `max_wait_s`), the request is sent again after that wait; a longer wait, a 5xx, a timeout or a lost
connection is raised as `RetryableCRMError` for the outbox to schedule. Logs and errors name the request by what
it does ("PATCH /api/v4/leads/{id}"), never by its full URL, which for some CRMs carries a secret.
"""

import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from email.utils import parsedate_to_datetime
from typing import Any, Protocol, TypeVar

import httpx

from crm_fill.adapters.errors import CRMAuthError, CRMError, RetryableCRMError, TokenExpired

log = logging.getLogger(__name__)

Classify = Callable[[httpx.Response], CRMError | None]
T = TypeVar("T")


class Limiter(Protocol):
    def acquire(self) -> float:
        """Wait for a slot; returns the seconds waited."""
        ...


# (account, requests a second, burst) -> that account's limiter; the account is the CRM's base URL.
Limiters = Callable[[str, float, int], Limiter]


@dataclass
class RateLimiter:
    """A token bucket: `rate_per_s` requests a second on average, up to `burst` at once."""

    rate_per_s: float
    burst: int = 1
    clock: Callable[[], float] = time.monotonic
    sleep: Callable[[float], None] = time.sleep
    _tokens: float = field(init=False)
    _updated: float = field(init=False)
    _lock: threading.Lock = field(init=False, default_factory=threading.Lock)

    def __post_init__(self) -> None:
        if self.rate_per_s <= 0 or self.burst < 1:
            raise ValueError("a rate limit needs rate_per_s > 0 and burst >= 1")
        self._tokens = float(self.burst)
        self._updated = self.clock()

    def acquire(self) -> float:
        """Wait for a slot; returns the seconds waited."""
        with self._lock:
            now = self.clock()
            self._tokens = min(self.burst, self._tokens + (now - self._updated) * self.rate_per_s)
            self._updated = now
            self._tokens -= 1
            wait = -self._tokens / self.rate_per_s if self._tokens < 0 else 0.0
        if wait > 0:
            self.sleep(wait)
        return wait


_limiters: dict[str, RateLimiter] = {}
_limiters_lock = threading.Lock()


def limiter_for(account: str, rate_per_s: float, burst: int) -> RateLimiter:
    """The one limiter of a CRM account (its base URL) in this process."""
    with _limiters_lock:
        limiter = _limiters.get(account)
        if limiter is None or (limiter.rate_per_s, limiter.burst) != (rate_per_s, burst):
            limiter = _limiters[account] = RateLimiter(rate_per_s, burst)
        return limiter


def retry_after_s(response: httpx.Response) -> float | None:
    """The Retry-After header in seconds (delta-seconds or an HTTP date), None when absent or unreadable."""
    value = response.headers.get("Retry-After")
    if value is None:
        return None
    value = value.strip()
    if value.replace(".", "", 1).isdigit():
        return float(value)
    try:
        return max(0.0, parsedate_to_datetime(value).timestamp() - time.time())
    except (TypeError, ValueError):
        return None


def json_body(response: httpx.Response) -> Any:
    """The JSON of an answer; None for an empty one (amoCRM answers 204 to a search that finds nothing)."""
    if not response.content:
        return None
    try:
        return response.json()
    except ValueError:
        return None


class CRMHttp:
    """Sends one CRM's requests under its rate limit, with the short in-place waits described above."""

    def __init__(
        self,
        crm: str,
        limiter: Limiter,
        *,
        client: httpx.Client | None = None,
        timeout_s: float = 20.0,
        max_wait_s: float = 10.0,
        attempts: int = 3,
        sleep: Callable[[float], None] = time.sleep,
    ):
        if attempts < 1:
            raise ValueError("attempts must be at least 1")
        self.crm = crm
        self.limiter = limiter
        self.client = client or httpx.Client(timeout=timeout_s, follow_redirects=False)
        self.max_wait_s = max_wait_s
        self.attempts = attempts
        self.sleep = sleep

    def close(self) -> None:
        self.client.close()

    def send(self, what: str, request: Callable[[httpx.Client], httpx.Response], classify: Classify) -> httpx.Response:
        """Run `request` (one call on the client) and return its answer, or raise the error `classify` found."""
        attempt = 0
        while True:
            attempt += 1
            self.limiter.acquire()
            try:
                response = request(self.client)
            except httpx.TimeoutException as exc:
                raise RetryableCRMError(self.crm, f"{what}: no answer in time ({type(exc).__name__})") from None
            except httpx.TransportError as exc:
                raise RetryableCRMError(self.crm, f"{what}: connection failed ({type(exc).__name__})") from None
            log.debug("%s %s -> %d", self.crm, what, response.status_code)
            error = classify(response)
            if error is None:
                return response
            wait = error.retry_after_s if isinstance(error, RetryableCRMError) else None
            if wait is None or wait > self.max_wait_s or attempt == self.attempts:
                raise error
            log.info("%s %s: rate limited, sending again in %.1f s", self.crm, what, wait)
            self.sleep(wait)


def with_refresh(crm: str, what: str, attempt: Callable[[], T], refresh: Callable[[], None] | None) -> T:
    """Run `attempt`; when the CRM calls the access token expired, refresh it once (if it can be) and run it again."""
    try:
        return attempt()
    except TokenExpired:
        if refresh is None:
            raise CRMAuthError(crm, f"{what}: the access token was refused", status=401) from None
    refresh()
    try:
        return attempt()
    except TokenExpired:
        raise CRMAuthError(crm, f"{what}: refused a freshly refreshed token", status=401) from None
