"""`callintel scheduler`: the process that sends scheduled passes as queue messages (one active per deployment)."""

import signal
import threading
from typing import Annotated

import typer

from cli.output import err


def scheduler(
    deal_sync_every: Annotated[
        float, typer.Option(min=10, help="Seconds between deal sync passes (calls linked to deals).")
    ] = 600,
    deal_risks_every: Annotated[float, typer.Option(min=10, help="Seconds between deal risk passes.")] = 3600,
    snapshots_every: Annotated[
        float, typer.Option(min=10, help="Seconds between looks for a team whose daily pipeline snapshot is due.")
    ] = 300,
) -> None:
    """Send the deal sync and risk passes and the daily pipeline snapshots to the workers on a timetable. Start it
    on any number of machines: one holds the database lock and sends, the others stand by."""
    from pipeline.runtime import default_runtime
    from services.scheduler import Timetable, run_scheduler

    runtime = default_runtime()
    runtime.db.migrate()
    stop = threading.Event()
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, lambda *_: stop.set())
    err.print(
        f"scheduler: deal sync every {deal_sync_every:g} s, deal risks every {deal_risks_every:g} s, "
        f"pipeline snapshots looked for every {snapshots_every:g} s"
    )
    run_scheduler(runtime, Timetable(deal_sync_every, deal_risks_every, snapshots_every), stop)
