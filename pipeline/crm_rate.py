"""The CRM request rate shared by every worker process: one row per CRM account in PostgreSQL.

A CRM's limit is per account, so N publish workers each keeping their own token bucket would send N times it.
The database holds one bucket per account instead, as the generic cell rate algorithm keeps it: a single number,
`next_at`, one interval after the latest slot handed out. Taking a slot is one atomic upsert, which moves
`next_at` on by an interval from whichever is later, itself or now, and returns how far ahead of now it lies;
the request waits until its slot, less the burst the account allows. The database's clock is the only clock, so
workers on machines whose clocks disagree still share one schedule, and a slot is taken in its own short
transaction, visible to the other workers at once.

Why the database rather than dramatiq's Redis rate limiters: every service deployment has PostgreSQL, while
Redis is there only when it is the broker (RabbitMQ deployments have none); and dramatiq's limiters admit or
refuse a request within whole-second windows, so a worker refused would poll, and requests bunch at window edges,
where amoCRM wants its 7 a second evenly spread. Here a request learns its exact slot in one round trip.

Embedded mode (SQLite) runs in one process, where the adapters' own in-process limiter is the same thing.
"""

import hashlib
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import partial

from sqlalchemy import text
from sqlalchemy.engine import Engine

from crm_fill.adapters.http import Limiters, limiter_for
from pipeline.db import Database

# statement_timestamp() is read before any wait for the row's lock, so a wait computed from it errs long, never short.
_TAKE_SLOT = text(
    """
    INSERT INTO crm_rate_limits AS slot (account, next_at)
    VALUES (:account, extract(epoch FROM statement_timestamp()) + :interval)
    ON CONFLICT (account) DO UPDATE SET next_at = GREATEST(slot.next_at + :interval, EXCLUDED.next_at)
    RETURNING next_at - extract(epoch FROM statement_timestamp())
    """
)


@dataclass
class SharedRateLimiter:
    """`rate_per_s` requests a second on average to one CRM account, up to `burst` at once, across processes."""

    engine: Engine
    account: str
    rate_per_s: float
    burst: int = 1
    sleep: Callable[[float], None] = time.sleep
    _key: str = field(init=False)

    def __post_init__(self) -> None:
        if self.rate_per_s <= 0 or self.burst < 1:
            raise ValueError("a rate limit needs rate_per_s > 0 and burst >= 1")
        self._key = hashlib.sha256(self.account.encode()).hexdigest()

    def acquire(self) -> float:
        """Wait for a slot; returns the seconds waited."""
        interval = 1.0 / self.rate_per_s
        with self.engine.begin() as connection:
            ahead = connection.execute(_TAKE_SLOT, {"account": self._key, "interval": interval}).scalar_one()
        wait = max(0.0, float(ahead) - self.burst * interval)
        if wait > 0:
            self.sleep(wait)
        return wait


def crm_limiters(db: Database) -> Limiters:
    """The rate limiters CRM adapters take: shared by every process on PostgreSQL, in-process on SQLite."""
    if db.engine.dialect.name != "postgresql":
        return limiter_for
    return partial(SharedRateLimiter, db.engine)
