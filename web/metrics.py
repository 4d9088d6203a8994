"""Prometheus metrics, read from the database and the broker at scrape time.

Nothing is counted in process memory, so every API process behind a load balancer reports the same figures.

- callintel_queue_depth{queue}: messages waiting (ready + delayed); left out when the broker cannot be reached.
- callintel_calls{status}: calls per status.
- callintel_stage_failures_total{stage}: failed stage runs on record. Deleting a call removes its runs, which
  Prometheus reads as a counter reset.
- callintel_stage_duration_seconds{stage}: a histogram of the stage runs that finished successfully in the last
  24 hours. It is a sliding window, not a cumulative count: take histogram_quantile() of the buckets directly
  and sum / count for the mean, without rate().
- callintel_deliveries{status}: outbox deliveries per status.
"""

import logging
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

from fastapi import HTTPException, Request
from prometheus_client import CollectorRegistry
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, HistogramMetricFamily, Metric
from prometheus_client.utils import floatToGoString
from sqlalchemy import case, func, select
from sqlalchemy.orm import Session

from ingest.providers.base import bearer_token, same_secret
from models import CallStatus, Stage
from pipeline.db import Call, Delivery, StageRun
from pipeline.queue.broker import queue_depths
from pipeline.runtime import Runtime
from web.deps import RuntimeDep

log = logging.getLogger(__name__)

DURATION_WINDOW = timedelta(hours=24)
# From a short call's analysis to a long call's recognition on CPU.
DURATION_BUCKETS_S = (1.0, 5.0, 15.0, 30.0, 60.0, 120.0, 300.0, 600.0, 1800.0, 3600.0)


class PipelineCollector:
    def __init__(self, runtime: Runtime) -> None:
        self.runtime = runtime

    def collect(self) -> Iterator[Metric]:
        yield from self._queues()
        with self.runtime.db.session() as session:
            yield from self._calls(session)
            yield from self._stages(session)
            yield from self._deliveries(session)

    def _queues(self) -> Iterator[Metric]:
        try:
            depths = queue_depths(self.runtime.broker)
        except Exception as exc:
            log.warning("metrics: broker unavailable, queue depths left out: %s", exc)
            return
        family = GaugeMetricFamily("callintel_queue_depth", "Messages waiting in a queue.", labels=["queue"])
        for queue, depth in sorted(depths.items()):
            family.add_metric([queue], depth)
        yield family

    def _calls(self, session: Session) -> Iterator[Metric]:
        counts = dict(session.execute(select(Call.status, func.count()).group_by(Call.status)).all())
        family = GaugeMetricFamily("callintel_calls", "Calls per status.", labels=["status"])
        for status in sorted({*CallStatus, *counts}):
            family.add_metric([status], counts.get(status, 0))
        yield family

    def _stages(self, session: Session) -> Iterator[Metric]:
        failed = dict(
            session.execute(
                select(StageRun.stage, func.count()).where(StageRun.status == "failed").group_by(StageRun.stage)
            ).all()
        )
        failures = CounterMetricFamily("callintel_stage_failures", "Failed stage runs.", labels=["stage"])
        for stage in sorted({*Stage, *failed}):
            failures.add_metric([stage], failed.get(stage, 0))
        yield failures

        since = datetime.now(UTC) - DURATION_WINDOW
        buckets = [func.sum(case((StageRun.duration_s <= bound, 1), else_=0)) for bound in DURATION_BUCKETS_S]
        rows = session.execute(
            select(StageRun.stage, func.count(), func.sum(StageRun.duration_s), *buckets)
            .where(StageRun.status == "done", StageRun.finished_at >= since, StageRun.duration_s.is_not(None))
            .group_by(StageRun.stage)
        ).all()
        durations = HistogramMetricFamily(
            "callintel_stage_duration_seconds",
            "Durations of the stage runs that finished successfully in the last 24 hours.",
            labels=["stage"],
        )
        for stage, count, total, *cumulative in sorted(rows):
            edges = [floatToGoString(bound) for bound in DURATION_BUCKETS_S]
            durations.add_metric(
                [stage], [*zip(edges, map(int, cumulative), strict=True), ("+Inf", count)], float(total or 0)
            )
        yield durations

    def _deliveries(self, session: Session) -> Iterator[Metric]:
        counts = session.execute(select(Delivery.status, func.count()).group_by(Delivery.status)).all()
        family = GaugeMetricFamily("callintel_deliveries", "Outbox deliveries per status.", labels=["status"])
        for status, count in sorted(counts):
            family.add_metric([status], count)
        yield family


def metrics_registry(runtime: Runtime) -> CollectorRegistry:
    """A registry of this app's own, so two apps in one process (tests) never share or clash over series."""
    registry = CollectorRegistry(auto_describe=False)
    registry.register(PipelineCollector(runtime))
    return registry


def check_scraper(request: Request, runtime: RuntimeDep) -> None:
    """Let the scrape through when CALLINTEL_METRICS_TOKEN is unset or sent as `Authorization: Bearer <token>`."""
    expected = runtime.settings.metrics_token
    if expected is None or not expected.get_secret_value():
        return
    given = bearer_token(request.headers.get("authorization"))
    if not same_secret(given, expected.get_secret_value()):
        raise HTTPException(401, "/metrics needs the bearer token set in CALLINTEL_METRICS_TOKEN")
