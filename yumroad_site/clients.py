"""Who sent a request: the client address behind the proxies we trust, as the login
throttle (django-axes) and the rate limits (ratelimits.py) count it."""

import ipaddress

from django.conf import settings


def client_address(request):
    """The client address failures are counted for.

    REMOTE_ADDR, unless the request comes from one of TRUSTED_PROXIES: then the
    nearest X-Forwarded-For entry that is not a trusted proxy, read from the right,
    since each proxy appends the address it saw. Entries a client wrote itself come
    before those and are never read, and a client that reaches the site directly is
    never believed. An entry that is not an address falls back to REMOTE_ADDR.
    """
    remote = parse_address(request.META.get("REMOTE_ADDR"))
    if remote is None or not is_trusted_proxy(remote):
        return str(remote) if remote else None
    hops = request.META.get("HTTP_X_FORWARDED_FOR", "").split(",")
    for hop in reversed(hops):
        address = parse_address(hop)
        if address is None:
            break
        if not is_trusted_proxy(address):
            return str(address)
    return str(remote)


def is_trusted_proxy(address):
    return any(
        address in ipaddress.ip_network(proxy, strict=False) for proxy in settings.TRUSTED_PROXIES
    )


def parse_address(value):
    """The IP address in a header entry as proxies write it: `ip`, `ip:port`, `[v6]` or
    `[v6]:port`. None for anything else, such as `not-an-ip` or `999.1.1.1`."""
    value = (value or "").strip()
    if value.startswith("["):
        value, bracket, port = value[1:].partition("]")
        if not bracket or (port and not (port[0] == ":" and is_port(port[1:]))):
            return None
    elif value.count(":") == 1:
        value, _, port = value.partition(":")
        if not is_port(port):
            return None
    try:
        address = ipaddress.ip_address(value)
    except ValueError:
        return None
    # A zone (fe80::1%eth0) names an interface of the proxy's machine, not a client.
    if getattr(address, "scope_id", None):
        return None
    # A dual-stack socket writes an IPv4 client as ::ffff:203.0.113.9.
    return getattr(address, "ipv4_mapped", None) or address


def is_port(text):
    return text.isascii() and text.isdigit() and int(text) <= 65535
