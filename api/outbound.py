"""Requests to sellers' servers (webhooks), and the rule of where they may go: https
only, and never to a private, loopback, link-local, reserved, multicast or unspecified
address, as the URL's host resolves. The rule is checked when a URL is subscribed and
again at each try, after DNS, and the try connects to the very address it checked, so
a name that resolves elsewhere between the two (a DNS rebinding) reaches nothing it
should not. settings.SELLER_WEBHOOKS_ALLOW_PRIVATE lifts both (development and tests).
"""

import contextlib
import http.client
import ipaddress
import socket
import ssl
import threading
from dataclasses import dataclass
from urllib.parse import urlsplit

from django.conf import settings

# What a try keeps of the answer's body: a start, for the seller's log.
EXCERPT_BYTES = 200
# IPv6 prefixes that carry an IPv4 address: NAT64's well-known prefix.
NAT64 = ipaddress.ip_network("64:ff9b::/96")


class AddressRefused(Exception):
    """The URL's host is, or resolves to, an address webhooks may not reach."""


@dataclass(frozen=True)
class Answer:
    status: int
    excerpt: str


def private_allowed():
    return settings.SELLER_WEBHOOKS_ALLOW_PRIVATE


def allowed_schemes():
    return ("https", "http") if private_allowed() else ("https",)


def address_refusal(address):
    """Why `address` (an ipaddress object) may not be reached, or "" when it may. An
    IPv6 address that carries an IPv4 one (mapped, 6to4, Teredo, NAT64) is judged by
    the IPv4 address it leads to."""
    if isinstance(address, ipaddress.IPv6Address):
        embedded = address.ipv4_mapped or address.sixtofour
        if embedded is None and address.teredo:
            embedded = address.teredo[1]
        if embedded is None and address in NAT64:
            embedded = ipaddress.IPv4Address(int(address) & 0xFFFFFFFF)
        if embedded is not None:
            return address_refusal(embedded)
    for kind, flag in [
        ("an unspecified", address.is_unspecified),
        ("a loopback", address.is_loopback),
        ("a link-local", address.is_link_local),
        ("a multicast", address.is_multicast),
        ("a private", address.is_private),
        ("a reserved", address.is_reserved),
        ("a non-public", not address.is_global),
    ]:
        if flag:
            return f"{kind} address"
    return ""


def host_ascii(hostname):
    """The URL's host as DNS and the Host header spell it: an internationalized name in
    its IDNA form. Raises UnicodeError for a name that has none."""
    return hostname.encode("idna").decode("ascii").lower()


def addresses_of(host, port):
    """The addresses `host` resolves to (itself, when it is one), each once, in order.
    Raises socket.gaierror when it resolves to nothing."""
    found = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    addresses = []
    for *_, sockaddr in found:
        address = ipaddress.ip_address(sockaddr[0].partition("%")[0])
        if address not in addresses:
            addresses.append(address)
    return addresses


def addresses_refusal(host, addresses):
    """Why none of `addresses` of `host` may be reached: one refused refuses the host,
    since which of them a client picks is not ours to say. "" when all may."""
    if private_allowed():
        return ""
    for address in addresses:
        refusal = address_refusal(address)
        if refusal:
            if host.strip("[]") == str(address):
                return f"{address} is {refusal}"
            return f"{host} resolves to {address}, {refusal}"
    return ""


def vetted_address(host, port):
    """The address a try connects to: the first `host` resolves to, once all passed the
    rule. Raises AddressRefused, and socket.gaierror when the name resolves to nothing."""
    addresses = addresses_of(host, port)
    refusal = addresses_refusal(host, addresses)
    if refusal:
        raise AddressRefused(f"Refused: {refusal}.")
    return addresses[0]


class _Deadline:
    """Shuts the connection's socket down `seconds` after it starts, so that a server
    answering a byte at a time can't hold the try longer than the timeout: the socket's
    own timeout bounds each wait, this bounds them together."""

    def __init__(self, seconds):
        self.sock = None
        self.expired = False
        self.timer = threading.Timer(seconds, self._expire)
        self.timer.daemon = True

    def _expire(self):
        self.expired = True
        if self.sock is not None:
            with contextlib.suppress(OSError):
                socket.socket.shutdown(self.sock, socket.SHUT_RDWR)

    def __enter__(self):
        self.timer.start()
        return self

    def __exit__(self, *exc_info):
        self.timer.cancel()


def post(url, body, headers, *, timeout):
    """POST `body` (bytes) to `url` with `headers`, following no redirect, within
    `timeout` seconds in all; returns the Answer. Raises AddressRefused (an address, or
    a scheme, the rule refuses), TimeoutError (past the timeout), and OSError or
    http.client.HTTPException for whatever else kept the server from answering (no such
    host, a refused connection, TLS)."""
    parts = urlsplit(url)
    if parts.scheme not in allowed_schemes():  # subscribed over http while it was allowed
        raise AddressRefused("Refused: the URL is not https.")
    host = host_ascii(parts.hostname or "")
    https = parts.scheme == "https"
    port = parts.port or (443 if https else 80)
    address = vetted_address(host, port)
    netloc = f"[{host}]" if ":" in host else host
    if parts.port:
        netloc += f":{parts.port}"
    path = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    connection = http.client.HTTPConnection(host, port, timeout=timeout)
    with _Deadline(timeout) as deadline:
        try:
            sock = socket.create_connection((str(address), port), timeout=timeout)
            deadline.sock = sock
            if https:
                # SNI and the certificate's check are for the URL's host, not the address.
                sock = ssl.create_default_context().wrap_socket(sock, server_hostname=host)
                deadline.sock = sock
            connection.sock = sock
            connection.request("POST", path, body=body, headers={"Host": netloc, **headers})
            response = connection.getresponse()
            excerpt = response.read(EXCERPT_BYTES)
        except (OSError, http.client.HTTPException):
            if deadline.expired:
                raise TimeoutError(f"no answer within {timeout:g} s") from None
            raise
        finally:
            connection.close()
    return Answer(response.status, excerpt.decode("utf-8", "replace"))
