"""When a centre's dossiers last changed, for the counts per state kept in the cache.

The centre's queue and the DNF's transmitted list show their dossiers per state
(:func:`dossiers.queue.counts`, :func:`jury.selectors.transmitted_counts`): one
aggregate over every dossier of the centre, or of every centre, the costliest query of
those pages at the Cnam's scale (docs/benchmarks.md). The counts are kept in the cache
(:func:`kept`) under a key that holds each centre's *version*: the workflow and the
retention job give the centre a new version whenever one of its dossiers changes state
or hands, or is removed (:func:`changed`), so that the next page counts afresh, for
everyone. A change made elsewhere (the Django admin) shows within the list's own
``COUNTS_SECONDS``.

If the cache cannot be reached, nothing fails: a transition goes on (the counts then
lag at most ``COUNTS_SECONDS``), a page counts in the database.
"""

import hashlib
import logging
import time

from django.core.cache import cache
from django.db import transaction

logger = logging.getLogger(__name__)


def _key(centre_id):
    return f"centre-version:{centre_id}"


def _bump(centre_id):
    try:
        # A new value, whatever another process wrote meanwhile: no read, no race.
        cache.set(_key(centre_id), time.time_ns(), timeout=None)
    except Exception:  # the cache backend's own connection errors
        logger.warning("Version du centre %s non écrite : cache injoignable.", centre_id,
                       exc_info=True)


def changed(centre_id):
    """A dossier of ``centre_id`` changes, in the current transaction.

    The version is renewed now (the same request, or a test, reads the new counts at
    once) and again at the commit: a page counting between the two would otherwise
    keep the counts of before the change under the new version.
    """
    _bump(centre_id)
    transaction.on_commit(lambda: _bump(centre_id))


def versions(centre_ids):
    """Each centre's current version (0 for one never changed), in one cache call."""
    keys = {_key(centre_id): centre_id for centre_id in centre_ids}
    try:
        found = cache.get_many(list(keys))
    except Exception:
        logger.warning("Versions des centres non lues : cache injoignable.", exc_info=True)
        return None
    return tuple(sorted((centre_id, found.get(key, 0)) for key, centre_id in keys.items()))


def kept(name, centre_ids, key, count, seconds):
    """``count()`` kept in the cache under ``key`` (any ``repr``-able value) and the
    versions of ``centre_ids``, ``seconds`` at most; counted afresh whenever one of
    those centres has a new version, or without the cache when it cannot be reached."""
    current = versions(centre_ids)
    if current is None:
        return count()
    digest = hashlib.sha256(repr((current, key)).encode()).hexdigest()
    try:
        return cache.get_or_set(f"{name}:{digest}", count, seconds)
    except Exception:  # the cache went away between the two calls
        logger.warning("Comptes %s non gardés : cache injoignable.", name, exc_info=True)
        return count()
