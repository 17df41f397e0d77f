"""D3's own rate limits (verification page, uploads), counted in Django's cache.

allauth keeps its log-in and password-reset limits in the same cache
(``CACHES``: Redis in production, so every web worker counts together).

Each limit is ``amount`` hits per ``period`` seconds, in ``settings.D3_RATE_LIMITS``.
The count is a sliding window estimated from two fixed windows (the current one and
the previous one, weighted by how much of it still lies in the last ``period``):
one atomic ``incr`` per hit, no burst of twice the amount at a window's edge, and
keys named after the window so that they expire on their own.

Every hit counts, refused ones too: a client that keeps hammering stays held back
until it slows down. If the cache cannot be reached, the hit is let through (and
logged): a limit must not take the page down with the cache.
"""

import ipaddress
import logging
import time

from django.conf import settings
from django.core.cache import cache

from d3.client_ip import client_ip

__all__ = ["hit", "address_key", "user_key"]

logger = logging.getLogger(__name__)


def address_key(request):
    """Who a per-address limit counts: the client address (its /64 network for IPv6,
    as allauth does, since one subscriber holds a whole /64)."""
    address = client_ip(request)
    if address is None:
        return "inconnue"
    parsed = ipaddress.ip_address(address)
    if parsed.version == 6:
        return str(ipaddress.ip_network(f"{address}/64", strict=False))
    return address


def user_key(request):
    return f"user-{request.user.pk}"


def _incr(key, timeout):
    cache.add(key, 0, timeout=timeout)
    try:
        return cache.incr(key)
    except ValueError:  # expired between add and incr
        cache.set(key, 1, timeout=timeout)
        return 1


def hit(name, who):
    """Count one hit of limit ``name`` for ``who``; False when it is over the limit."""
    amount, period = settings.D3_RATE_LIMITS[name]
    now = time.time()
    window = int(now // period)
    elapsed = (now % period) / period
    key = f"d3-rl:{name}:{who}:"
    try:
        current = _incr(f"{key}{window}", timeout=2 * period)
        previous = cache.get(f"{key}{window - 1}", 0)
    except Exception:  # the cache backend's own connection errors
        logger.warning("Rate limit %s not counted: the cache is unreachable.", name,
                       exc_info=True)
        return True
    return previous * (1 - elapsed) + current <= amount
