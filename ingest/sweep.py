"""The drop zone's safety net: recordings put in the bucket whose notification never arrived are taken in anyway.

Bucket notifications can be lost (the API was down, the target misconfigured), so correctness does not depend on
them: every object under CALLINTEL_S3_INCOMING_PREFIX that is not yet a call is taken in, exactly as its event
would have been (same provider and call id, so a late event is then a duplicate).
"""

import logging

from sqlalchemy import select

from ingest.intake import IntakeRejected, take_in_object
from ingest.providers.s3_event import not_for_intake
from models import IncomingCall
from pipeline.db import Call
from pipeline.runtime import Runtime

log = logging.getLogger(__name__)


def sweep_incoming(runtime: Runtime) -> int:
    """Take in every object under the incoming prefix that no call has yet; returns how many were taken in."""
    prefix = runtime.settings.s3_incoming_prefix
    bucket = getattr(runtime.storage, "bucket", None)
    if not prefix or bucket is None:
        return 0
    keys = list(runtime.storage.keys(prefix))
    with runtime.db.session() as session:
        known = set(
            session.scalars(
                select(Call.external_id).where(Call.provider == "s3", Call.external_id.like(f"{bucket}/{prefix}%"))
            )
        )
    taken = 0
    for key in keys:
        if f"{bucket}/{key}" in known or not_for_intake(bucket, key, runtime.settings):
            continue
        incoming = IncomingCall(provider="s3", external_id=f"{bucket}/{key}", bucket=bucket, object_key=key)
        try:
            if not take_in_object(incoming, runtime).duplicate:
                taken += 1
        except IntakeRejected as exc:
            log.warning("%s/%s not taken in: %s", bucket, key, exc)
    if taken:
        log.info("took in %d recording(s) from %s/%s with no bucket event", taken, bucket, prefix)
    return taken
