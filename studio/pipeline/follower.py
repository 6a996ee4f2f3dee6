"""The follower lease: at most one poller (across every worker machine) follows an API key's jobs.

The lease is a pair of columns on the key's ProviderAccount row, taken and renewed by conditional
updates. A poller about to be queued reserves it first (`claim_start`), so a burst of submits
queues one poller, not one each; the running poller renews it every few seconds.
"""

from __future__ import annotations

import os
import socket
import uuid
from datetime import timedelta

from django.db.models import Q
from django.utils import timezone

from studio.pipeline import dispatch, provider
from studio.pipeline.models import ProviderAccount

# How long a running poller's lease lasts unless renewed.
LEASE_SECONDS = 10.0


def holder_name() -> str:
    return f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"


# Holder name of a poller that has been queued but has not started yet (see claim_start).
PENDING = "pending"
# How long a queued poller may wait for a worker before another one may be queued (a spare
# exits at once, so erring short only costs a message; erring long delays recovery when the
# queued one is lost, as a Redis broker may lose it with a dying worker).
PENDING_SECONDS = 30.0


def claim_start(api_key_id: str) -> bool:
    """Reserve the lease for a poller about to be queued; False if one runs or is queued.

    Without this every submit would queue its own poller while the first still waits for a
    worker, and the spares would crowd downloads out of the queue.
    """
    now = timezone.now()
    ProviderAccount.objects.get_or_create(api_key_id=api_key_id)
    free = Q(follower_until__isnull=True) | Q(follower_until__lt=now)
    return (
        ProviderAccount.objects.filter(free, api_key_id=api_key_id).update(
            follower=PENDING, follower_until=now + timedelta(seconds=PENDING_SECONDS)
        )
        == 1
    )


def acquire_lease(api_key_id: str, holder: str) -> bool:
    now = timezone.now()
    ProviderAccount.objects.get_or_create(api_key_id=api_key_id)
    free = Q(follower_until__isnull=True) | Q(follower_until__lt=now) | Q(follower__in=[holder, PENDING])
    return (
        ProviderAccount.objects.filter(free, api_key_id=api_key_id).update(
            follower=holder, follower_until=now + timedelta(seconds=LEASE_SECONDS)
        )
        == 1
    )


def release_lease(api_key_id: str, holder: str) -> None:
    now = timezone.now()
    ProviderAccount.objects.filter(api_key_id=api_key_id, follower=holder).update(follower="", follower_until=now)


def ensure_follower() -> None:
    """Queue a poller unless one runs or is already queued for the key."""
    if claim_start(provider.api_key_id()):
        dispatch.enqueue(dispatch.Doorbell.FOLLOW)
