"""Storage key commands: make a key, see which keys the stored objects are under, re-wrap them under the current one."""

from collections import Counter
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Annotated

import typer
from rich.progress import track

from cli.output import err, fail, report_error

if TYPE_CHECKING:
    from pipeline.storage import LocalStorage, S3Storage

keys = typer.Typer(
    help="Storage keys that encrypt recordings, transcripts and results at rest (CALLINTEL_STORAGE_KEYS).",
    no_args_is_help=True,
)

PrefixOption = Annotated[str, typer.Option("--prefix", help="Only objects whose key starts with this.")]


def _storage() -> "LocalStorage | S3Storage":
    """The configured backend itself: reading headers and re-wrapping are not part of the Storage interface."""
    from pipeline.runtime import default_runtime
    from pipeline.storage import KeyringInvalid, LocalStorage, S3Storage

    try:
        storage = default_runtime().storage
    except KeyringInvalid as exc:
        raise fail(str(exc)) from None
    assert isinstance(storage, LocalStorage | S3Storage)
    return storage


@keys.command("new")
def keys_new(
    key_id: Annotated[
        str | None, typer.Option("--id", help="Name of the key (default: k and today's date).", show_default=False)
    ] = None,
) -> None:
    """Print a new storage key as an `id:base64` entry for CALLINTEL_STORAGE_KEYS."""
    from pipeline.storage import KeyringInvalid, new_key_entry

    try:
        entry = new_key_entry(key_id or f"k{datetime.now(UTC):%Y%m%d}")
    except KeyringInvalid as exc:
        raise fail(str(exc)) from None
    typer.echo(entry)
    err.print(
        "Put it first in CALLINTEL_STORAGE_KEYS (or name it in CALLINTEL_STORAGE_KEY_CURRENT), keep the older keys "
        "until `callintel keys rotate` has finished, and keep a copy outside this machine: objects encrypted under "
        "a lost key cannot be read.",
        highlight=False,
    )


@keys.command("status")
def keys_status(prefix: PrefixOption = "") -> None:
    """Count the stored objects under each storage key, and those stored unencrypted."""
    from pipeline.storage import NoSuchObject, ObjectUnreadable

    storage = _storage()
    counts: Counter[str] = Counter()
    for key in track(list(storage.keys(prefix)), description="reading headers", console=err, transient=True):
        try:
            key_id = storage.key_id(key)
        except NoSuchObject:
            continue
        except ObjectUnreadable as exc:
            report_error(str(exc))
            key_id = "(unreadable)"
        counts[key_id or "(unencrypted)"] += 1
    current = storage.keyring.current if storage.keyring else None
    for name, count in sorted(counts.items()):
        mark = " (current)" if name == current else ""
        typer.echo(f"{name}{mark}\t{count}")


@keys.command("rotate")
def keys_rotate(
    prefix: PrefixOption = "",
    encrypt_plaintext: Annotated[
        bool, typer.Option("--encrypt-plaintext", help="Also encrypt objects stored before encryption was turned on.")
    ] = False,
) -> None:
    """Re-wrap every object's data key under the current storage key; the recordings and results themselves are
    copied unchanged, not decrypted. Safe to stop and run again: objects already under the current key are skipped.
    """
    from pipeline.storage import NoSuchObject, ObjectUnreadable, Rewrap

    storage = _storage()
    if storage.keyring is None:
        raise fail("CALLINTEL_STORAGE_KEYS is not set: there is no current storage key to re-wrap under")
    outcomes: Counter[Rewrap] = Counter()
    failed = 0
    for key in track(list(storage.keys(prefix)), description="re-wrapping", console=err):
        try:
            outcomes[storage.rewrap(key, encrypt_plaintext=encrypt_plaintext)] += 1
        except NoSuchObject:
            continue  # deleted since it was listed
        except ObjectUnreadable as exc:
            report_error(str(exc))
            failed += 1
    for outcome in Rewrap:
        if outcomes[outcome]:
            typer.echo(f"{outcome.value}: {outcomes[outcome]}")
    if outcomes[Rewrap.changed]:
        err.print("some objects were written while being re-wrapped and were left to their writer: run rotate again")
    if failed:
        raise fail(f"{failed} object(s) could not be re-wrapped (listed above)", code=1)
