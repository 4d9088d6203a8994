"""Service-mode commands: the API server, queue workers, and the periodic safety nets."""

import logging
import signal
import threading
from typing import TYPE_CHECKING, Annotated, cast

import typer
from rich.console import Console

from cli.output import err, fail

if TYPE_CHECKING:
    from pipeline.runtime import Runtime

log = logging.getLogger(__name__)
app = typer.Typer()


def _sweep_forever(stop: threading.Event, every_s: float) -> None:
    """Reconcile lost messages and apply retention, until the server stops."""
    from ingest.spool import clear_spool
    from ingest.sweep import sweep_incoming
    from pipeline.reconcile import reconcile
    from pipeline.retention import purge_expired
    from pipeline.runtime import default_runtime

    runtime = default_runtime()
    while not stop.wait(every_s):
        for sweep in (sweep_incoming, reconcile, purge_expired, clear_spool):
            try:
                sweep(runtime)
            except Exception:
                log.exception("%s failed; trying again in %.0f s", sweep.__name__, every_s)


def _prepare(runtime: "Runtime") -> None:
    """Migrate the database and create the bucket before the first call needs them."""
    runtime.db  # noqa: B018 - building it migrates
    ensure_bucket = getattr(runtime.storage, "ensure_bucket", None)
    if ensure_bucket is not None:
        ensure_bucket()


@app.command()
def serve(
    host: Annotated[str, typer.Option(help="Address to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port to listen on.")] = 8000,
    sweep_every: Annotated[
        float, typer.Option(help="Seconds between reconciler and retention runs; 0 turns them off here.")
    ] = 60.0,
) -> None:
    """Run the API: telephony webhooks, uploads, calls, deliveries, health and metrics."""
    import uvicorn

    from ingest.spool import clear_spool
    from pipeline.runtime import default_runtime
    from web.app import create_app

    runtime = default_runtime()
    _prepare(runtime)
    # What a killed predecessor left in the spool.
    clear_spool(runtime)
    stop = threading.Event()
    if sweep_every > 0:
        threading.Thread(target=_sweep_forever, args=(stop, sweep_every), name="sweeper", daemon=True).start()
    try:
        uvicorn.run(create_app(runtime), host=host, port=port, log_config=None, proxy_headers=True)
    finally:
        stop.set()


@app.command()
def worker(
    queues: Annotated[
        str, typer.Option(help="Queues to take work from: gpu or cpu (speech), llm, publish; comma-separated.")
    ] = "cpu,llm,publish",
    threads: Annotated[int, typer.Option(min=1, help="Messages handled at once by this process.")] = 1,
) -> None:
    """Run stages from the queues until stopped (SIGTERM or Ctrl-C finish the message in hand first)."""
    import dramatiq

    from pipeline.queue.actors import declare_stage_actors
    from pipeline.queue.broker import QUEUES
    from pipeline.runtime import default_runtime
    from publish.actor import declare_publish_actor
    from services.deals.passes import declare_deal_actors
    from services.pipeline_review.snapshot_pass import declare_snapshot_actor

    chosen = {q.strip() for q in queues.split(",") if q.strip()}
    unknown = chosen - set(QUEUES)
    if not chosen or unknown:
        err.print(
            f"[bold red]error:[/] --queues: unknown {', '.join(sorted(unknown)) or 'empty list'}; "
            f"choose from {', '.join(QUEUES)}"
        )
        raise typer.Exit(2)
    runtime = default_runtime()
    _prepare(runtime)
    broker = runtime.broker
    declare_stage_actors(broker, runtime)
    declare_publish_actor(broker, runtime)
    declare_deal_actors(broker, runtime)
    declare_snapshot_actor(broker, runtime)
    if chosen & {"gpu", "cpu"}:
        with err.status("loading speech models"):
            runtime.engines.asr  # noqa: B018 - loaded once per worker, before the first call's time limit starts
            runtime.engines.diarizer  # noqa: B018
    if "llm" in chosen and runtime.settings.llm_backend == "transformers":
        with err.status("loading the language model"):
            runtime.engines.llm  # noqa: B018
    consumer = dramatiq.Worker(broker, queues=chosen, worker_threads=threads)
    # One message per thread (dramatiq's default is two): a long call waits for a free worker instead of queuing
    # behind a busy one.
    consumer.queue_prefetch = threads
    stopping = threading.Event()
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, lambda *_: stopping.set())
    consumer.start()
    err.print(f"worker taking {', '.join(sorted(chosen))} with {threads} thread(s)")
    stopping.wait()
    err.print("stopping: finishing the messages in hand")
    consumer.stop()
    broker.close()


@app.command()
def reconcile() -> None:
    """Take in drop-zone recordings with no bucket event, queue calls whose message was lost and deliveries nobody is
    retrying (the API server does this every minute)."""
    from ingest.sweep import sweep_incoming
    from pipeline.reconcile import reconcile as run
    from pipeline.runtime import default_runtime

    runtime = default_runtime()
    taken = sweep_incoming(runtime)
    found = run(runtime)
    err.print(
        f"took in {taken} recording(s); requeued {found.calls_requeued} call(s) "
        f"and {found.publishes_requeued} delivery run(s)"
    )


@app.command()
def purge() -> None:
    """Delete raw audio and transcripts older than the retention period (the API server does this every minute)."""
    from pipeline.retention import purge_expired
    from pipeline.runtime import default_runtime

    purged = purge_expired(default_runtime())
    err.print(str(purged))


deliveries = typer.Typer(help="Events on their way to subscribers: list them, retry dead ones.", no_args_is_help=True)


@deliveries.command("list")
def delivery_list(
    status: Annotated[str | None, typer.Option(help="pending, delivered or dead.")] = None,
    call: Annotated[str | None, typer.Option(help="Only this call's events.")] = None,
    limit: Annotated[int, typer.Option(min=1, max=1000)] = 50,
) -> None:
    """Deliveries, newest first, with their attempts and last error."""
    from rich.table import Table

    from pipeline.runtime import default_runtime
    from publish.admin import DeliveryStatus, list_deliveries

    table = Table("id", "event", "call", "to", "status", "attempts", "last error")
    wanted = cast(DeliveryStatus | None, status)  # unchecked: a status of no delivery lists nothing
    for d in list_deliveries(default_runtime(), status=wanted, call_id=call, limit=limit):
        note = d.last_error or ""
        not_kept = [mismatch["field"] for mismatch in (d.result or {}).get("mismatches", [])]
        if not_kept:
            note = f"the CRM did not keep: {', '.join(not_kept)}"
        table.add_row(
            str(d.id), d.event_type, d.call_id or "", d.subscriber_url or d.crm or "", d.status, str(d.attempts), note
        )
    Console().print(table)


@deliveries.command("retry")
def delivery_retry(delivery_id: int) -> None:
    """Send a dead (or pending) delivery again now."""
    from pipeline.runtime import default_runtime
    from publish.admin import retry_delivery

    try:
        found = retry_delivery(default_runtime(), delivery_id)
    except ValueError as exc:
        raise fail(str(exc)) from None
    if found is None:
        raise fail(f"no delivery {delivery_id}")
    err.print(f"delivery {delivery_id} queued again")
