"""The address of the client behind the request: one answer for rate limits and audit.

``REMOTE_ADDR`` is the peer of the TCP connection: behind a reverse proxy it is the
proxy, and any client can put whatever it likes in ``X-Forwarded-For``. So a header
is read only when the deployment says which one its own proxies set
(``D3_TRUSTED_PROXY_HEADER``) and how many of them append to it
(``D3_TRUSTED_PROXY_COUNT``): the address is the n-th from the right, the one the
outermost trusted proxy saw. Whatever a client wrote further left is ignored.

allauth's log-in and password-reset limits read the same address: the settings
translate these two values into ``ALLAUTH_TRUSTED_PROXY_COUNT`` /
``ALLAUTH_TRUSTED_CLIENT_IP_HEADER`` (see :func:`allauth_trust`).
"""

import ipaddress

from django.conf import settings

__all__ = ["client_ip", "allauth_trust", "FORWARDED_FOR"]

FORWARDED_FOR = "X-Forwarded-For"


def _address(value):
    """``value`` as a normalised IP address, or None when it is not one."""
    value = (value or "").strip()
    if value.startswith("[") and "]" in value:  # "[2001:db8::1]:443"
        value = value[1:value.index("]")]
    elif value.count(":") == 1:  # "192.0.2.1:443"
        value = value.split(":", 1)[0]
    try:
        return str(ipaddress.ip_address(value))
    except ValueError:
        return None


def client_ip(request):
    """The client's address as D3 trusts it (a string), or None if unknown."""
    header = getattr(settings, "D3_TRUSTED_PROXY_HEADER", "")
    if header:
        count = getattr(settings, "D3_TRUSTED_PROXY_COUNT", 1)
        hops = request.headers.get(header, "").split(",")
        # Fewer addresses than trusted proxies: the request did not come through
        # them all (or a proxy is misconfigured): the header proves nothing.
        if len(hops) >= count:
            address = _address(hops[-count])
            if address:
                return address
    return _address(request.META.get("REMOTE_ADDR"))


def allauth_trust(header, count):
    """(``ALLAUTH_TRUSTED_PROXY_COUNT``, ``ALLAUTH_TRUSTED_CLIENT_IP_HEADER``) that make
    allauth read the client address the way :func:`client_ip` does."""
    if not header:
        return 0, None
    if header.lower() == FORWARDED_FOR.lower():
        return count, None
    # A header holding the one address the proxy saw (X-Real-IP, CF-Connecting-IP…).
    return 0, header
