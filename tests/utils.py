import socket
import threading
from concurrent.futures import ThreadPoolExecutor

from django.db import connection


def race(*actions):
    """Run each action in a thread of its own, with its own database connection, all
    released at once; return their results, in the order of `actions` (an action's
    exception is raised here)."""
    barrier = threading.Barrier(len(actions), timeout=30)

    def run(action):
        try:
            barrier.wait()
            return action()
        finally:
            connection.close()

    with ThreadPoolExecutor(len(actions)) as pool:
        return list(pool.map(run, actions))


def free_port():
    """A loopback port nothing listens on."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def messages_of(response):
    """The flash messages a rendered response shows."""
    return [str(message) for message in response.context["messages"]]


def signup_data(**overrides):
    """A valid sign-up form, with `overrides`."""
    return {
        "email": "new@example.com",
        "password": "a-Str0ng-passphrase",
        "confirm": "a-Str0ng-passphrase",
        **overrides,
    }


def long_email(length):
    """A valid address of `length` characters (up to 320, what the email validator allows)."""
    domain = ".".join(["b" * 63] * 3) + ".com"
    return "a" * (length - len(domain) - 1) + "@" + domain
