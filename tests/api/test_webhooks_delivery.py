"""Sending sellers' webhooks: signed POSTs to a real server on loopback, made by the task
worker, tried again after each delay until the server answers 2xx, every try logged; a
timeout, a refused connection or a refused address is a failed try; two workers at once
make one try; a deleted subscription stops its retries."""

import json
import os
import socket
import ssl
import subprocess
import threading
import time
from datetime import timedelta

import pytest
from django.core.management import call_command
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from api import outbound
from api.models import DeliveryState, ResourceName, WebhookAttempt, WebhookDelivery
from api.services import resource_subscription_create, resource_subscription_delete
from api.webhooks import webhook_delivery_try, webhook_event_record
from tests.factories import OrderFactory, SellableProductFactory, StoreFactory
from tests.utils import free_port

WEBHOOK_TASK = "api.tasks.webhook_delivery_send"


def run_worker():
    call_command("db_worker", "--batch", "--no-startup-delay", "--interval", "0")


def subscribe(store, url, resource_name=ResourceName.SALE):
    return resource_subscription_create(store=store, resource_name=resource_name, post_url=url)


def sale(store, **fields):
    """A paid order of `store`, announced as its sale event: its delivery is recorded."""
    product = SellableProductFactory(store=store, name="Lo-fi Drum Kit", price_cents=1900)
    order = OrderFactory(product=product, email="payer@example.com", **fields)
    webhook_event_record(order=order, event=ResourceName.SALE, event_id=f"sale-{order.pk}")
    return order


def make_due(delivery):
    """Time passes: the delivery's next try, and its task, are due now."""
    WebhookDelivery.objects.filter(pk=delivery.pk).update(next_try_at=timezone.now())
    DBTaskResult.objects.filter(task_path=WEBHOOK_TASK, status="READY").update(
        run_after=timezone.now()
    )


@pytest.mark.django_db(transaction=True)
@pytest.mark.usefixtures("private_allowed", "database_tasks")
class TestRetries:
    def test_a_receiver_that_fails_twice_gets_the_same_signed_body_three_times(self, receiver):
        store = StoreFactory()
        subscription = subscribe(store, receiver.url)
        receiver.secret = subscription.secret
        receiver.statuses = [500, 503]

        order = sale(store)
        assert receiver.requests == []  # queued for the worker, not sent by the event
        run_worker()

        assert len(receiver.requests) == 3
        assert receiver.signatures_valid == [True, True, True]
        first, *others = receiver.bodies()
        assert all(body == first for body in others)
        assert first["event"] == "sale"
        assert first["id"] == f"sale-{order.pk}"
        assert first["sale_id"] == order.pk
        assert first["price_cents"] == 1900
        headers = receiver.requests[0]["headers"]
        assert headers["Content-Type"] == "application/json"
        assert headers["User-Agent"].startswith("Yumroad-Webhooks/")
        assert headers["Host"] == f"127.0.0.1:{receiver.port}"
        delivery = WebhookDelivery.objects.get()
        assert (delivery.state, delivery.tries, delivery.next_try_at) == (
            DeliveryState.DELIVERED,
            3,
            None,
        )
        attempts = list(delivery.attempts.order_by("number"))
        assert [(a.number, a.status_code, a.error) for a in attempts] == [
            (1, 500, ""),
            (2, 503, ""),
            (3, 200, ""),
        ]
        assert attempts[0].response_excerpt == "x" * 200  # a start of the answer only
        assert attempts[2].response_excerpt == '{"ok": true}'
        assert all(attempt.duration_ms < 5000 for attempt in attempts)

    def test_a_failed_try_is_queued_again_after_the_first_delay(self, receiver, settings):
        settings.SELLER_WEBHOOK_RETRY_SECONDS = [10, 30, 120, 600, 3600]
        store = StoreFactory()
        subscribe(store, receiver.url)
        receiver.statuses = [500, 500]
        sale(store)

        run_worker()

        delivery = WebhookDelivery.objects.get()
        retry = DBTaskResult.objects.get(task_path=WEBHOOK_TASK, status="READY")
        assert retry.args_kwargs == {"args": [delivery.pk], "kwargs": {}}
        assert timedelta(seconds=8) < retry.run_after - timezone.now() <= timedelta(seconds=10)
        assert retry.run_after == delivery.next_try_at
        assert len(receiver.requests) == 1

        make_due(delivery)
        run_worker()

        retry = DBTaskResult.objects.get(task_path=WEBHOOK_TASK, status="READY")
        assert timedelta(seconds=28) < retry.run_after - timezone.now() <= timedelta(seconds=30)
        assert len(receiver.requests) == 2

    def test_six_failed_tries_give_the_delivery_up(self, receiver):
        store = StoreFactory()
        subscribe(store, receiver.url)
        receiver.statuses = [500] * 10

        sale(store)
        run_worker()

        assert len(receiver.requests) == 6
        delivery = WebhookDelivery.objects.get()
        assert (delivery.state, delivery.tries) == (DeliveryState.FAILED, 6)
        assert delivery.attempts.count() == 6
        assert not DBTaskResult.objects.filter(task_path=WEBHOOK_TASK, status="READY").exists()

    def test_a_deleted_subscription_stops_its_retries(self, receiver, settings):
        settings.SELLER_WEBHOOK_RETRY_SECONDS = [10]
        store = StoreFactory()
        subscription = subscribe(store, receiver.url)
        receiver.statuses = [500]
        sale(store)
        run_worker()
        delivery = WebhookDelivery.objects.get()

        resource_subscription_delete(subscription=subscription)
        DBTaskResult.objects.filter(status="READY").update(run_after=timezone.now())
        run_worker()

        assert len(receiver.requests) == 1
        assert not WebhookDelivery.objects.filter(pk=delivery.pk).exists()
        assert not WebhookAttempt.objects.exists()
        assert not DBTaskResult.objects.filter(status="READY").exists()

    def test_a_delivery_queued_twice_is_tried_once(self, receiver):
        store = StoreFactory()
        subscribe(store, receiver.url)
        sale(store)
        DBTaskResult.objects.update(status="READY")  # the queue delivers at least once
        run_worker()
        DBTaskResult.objects.update(status="READY")
        run_worker()

        assert len(receiver.requests) == 1
        assert WebhookAttempt.objects.count() == 1


@pytest.mark.django_db(transaction=True)
@pytest.mark.usefixtures("private_allowed", "database_tasks")
def test_two_workers_at_once_make_one_try(receiver):
    store = StoreFactory()
    subscribe(store, receiver.url)
    receiver.delay = 0.5
    sale(store)
    delivery_id = WebhookDelivery.objects.get().pk
    start = threading.Barrier(2)
    results = []

    def worker():
        from django.db import connection

        start.wait()
        try:
            results.append(webhook_delivery_try(delivery_id=delivery_id))
        finally:
            connection.close()

    threads = [threading.Thread(target=worker) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert len(receiver.requests) == 1
    assert sorted(result is None for result in results) == [False, True]
    assert WebhookAttempt.objects.count() == 1
    assert WebhookDelivery.objects.get().tries == 1


@pytest.fixture
def delivery(db, settings):
    """A pending delivery to `url`, which the test sets by subscribing."""

    def make(url):
        settings.SELLER_WEBHOOKS_ALLOW_PRIVATE = True
        store = StoreFactory()
        subscribe(store, url)
        sale(store)
        settings.SELLER_WEBHOOKS_ALLOW_PRIVATE = False
        return WebhookDelivery.objects.get()

    return make


def try_once(delivery):
    attempt = webhook_delivery_try(delivery_id=delivery.pk)
    delivery.refresh_from_db()
    return attempt


@pytest.mark.django_db
@pytest.mark.usefixtures("private_allowed")
class TestFailedTries:
    def test_an_answer_slower_than_the_timeout_is_a_failed_try(self, receiver, settings, delivery):
        delivery = delivery(receiver.url)
        settings.SELLER_WEBHOOKS_ALLOW_PRIVATE = True
        settings.SELLER_WEBHOOK_TIMEOUT_SECONDS = 0.5
        receiver.delay = 2

        attempt = try_once(delivery)

        assert attempt.status_code is None
        assert attempt.error == "Timed out after 0.5 s"
        assert 450 <= attempt.duration_ms < 1500
        assert delivery.state == DeliveryState.PENDING
        assert delivery.next_try_at > timezone.now() + timedelta(seconds=8)

    def test_a_server_that_answers_a_byte_at_a_time_is_cut_at_the_timeout(self, settings, delivery):
        listener = socket.create_server(("127.0.0.1", 0))
        port = listener.getsockname()[1]

        def drip():
            conn, _ = listener.accept()
            with conn:
                conn.recv(65536)
                try:
                    for byte in b"HTTP/1.1 200 OK\r\nX-Slow: " + b"a" * 100:
                        conn.sendall(bytes([byte]))
                        time.sleep(0.1)
                except OSError:
                    pass  # the client hung up

        thread = threading.Thread(target=drip, daemon=True)
        thread.start()
        delivery = delivery(f"http://127.0.0.1:{port}/")
        settings.SELLER_WEBHOOKS_ALLOW_PRIVATE = True
        settings.SELLER_WEBHOOK_TIMEOUT_SECONDS = 0.5

        attempt = try_once(delivery)

        thread.join(timeout=15)
        listener.close()
        assert attempt.error == "Timed out after 0.5 s"
        assert attempt.duration_ms < 1500

    def test_a_refused_connection_is_a_failed_try(self, settings, delivery):
        delivery = delivery(f"http://127.0.0.1:{free_port()}/hooks")
        settings.SELLER_WEBHOOKS_ALLOW_PRIVATE = True

        attempt = try_once(delivery)

        assert (attempt.status_code, attempt.error) == (None, "Connection refused")
        assert delivery.tries == 1
        assert delivery.state == DeliveryState.PENDING

    def test_a_redirect_is_not_followed_and_is_a_failed_try(self, httpserver, settings, delivery):
        httpserver.expect_request("/old").respond_with_data(
            "", status=301, headers={"Location": httpserver.url_for("/new")}
        )
        delivery = delivery(httpserver.url_for("/old"))
        settings.SELLER_WEBHOOKS_ALLOW_PRIVATE = True

        attempt = try_once(delivery)

        assert attempt.status_code == 301
        assert [request.path for request, _ in httpserver.log] == ["/old"]
        assert delivery.state == DeliveryState.PENDING


@pytest.mark.django_db
class TestAddressesRefusedAtDelivery:
    """A URL subscribed while private addresses were allowed (or whose name resolves
    elsewhere now) is checked again at each try, after DNS: nothing is sent."""

    @pytest.mark.parametrize(
        ("host", "refusal"),
        [
            ("localhost", "Refused: localhost resolves to 127.0.0.1, a loopback address."),
            ("127.0.0.1", "Refused: 127.0.0.1 is a loopback address."),
            ("[::1]", "Refused: ::1 is a loopback address."),
            ("[::ffff:127.0.0.1]", "resolves to ::ffff:7f00:1, a loopback address."),
        ],
    )
    def test_a_loopback_address_gets_no_request(self, receiver, delivery, host, refusal):
        delivery = delivery(f"https://{host}:{receiver.port}/hooks")

        attempt = try_once(delivery)

        assert receiver.requests == []
        assert attempt.status_code is None
        assert attempt.error.endswith(refusal)
        assert delivery.state == DeliveryState.PENDING

    def test_allowing_private_addresses_lets_the_try_through(self, receiver, delivery, settings):
        delivery = delivery(f"http://localhost:{receiver.port}/hooks")
        settings.SELLER_WEBHOOKS_ALLOW_PRIVATE = True

        attempt = try_once(delivery)

        assert attempt.status_code == 200
        assert receiver.requests[0]["headers"]["Host"] == f"localhost:{receiver.port}"
        assert delivery.state == DeliveryState.DELIVERED

    def test_an_http_url_gets_no_request_once_private_addresses_are_not_allowed(self, delivery):
        """Subscribed over http while allowed: never sent in the clear after."""
        delivery = delivery("http://hooks.example.invalid/yumroad")

        attempt = try_once(delivery)

        assert attempt.error == "Refused: the URL is not https."

    def test_a_name_that_resolves_to_nothing_is_a_failed_try(self, delivery):
        delivery = delivery("https://hooks.example.invalid/yumroad")

        attempt = try_once(delivery)

        assert attempt.error == "Host not found"


@pytest.fixture
def tls_receiver(tmp_path, monkeypatch):
    """An https server for hooks.test on loopback with a certificate of its own, which
    this test's clients trust (SSL_CERT_FILE); it notes the name each handshake asked
    for (SNI), and the Host of each request."""
    cert, key = tmp_path / "cert.pem", tmp_path / "key.pem"
    subprocess.run(
        [
            "openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1",
            "-subj", "/CN=hooks.test", "-addext", "subjectAltName=DNS:hooks.test",
            "-keyout", str(key), "-out", str(cert),
        ],
        check=True,
        capture_output=True,
    )  # fmt: skip
    monkeypatch.setenv("SSL_CERT_FILE", str(cert))
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert, key)
    seen = {"sni": [], "host": []}
    context.sni_callback = lambda sock, name, ctx: seen["sni"].append(name)
    listener = socket.create_server(("127.0.0.1", 0))
    port = listener.getsockname()[1]

    def serve():
        conn, _ = listener.accept()
        try:
            tls = context.wrap_socket(conn, server_side=True)
        except ssl.SSLError:  # the client refused the certificate
            conn.close()
            return
        with tls:
            # The whole request, its body too: closing with unread bytes would reset the
            # connection before the client reads the answer.
            request = b""
            while b"\r\n\r\n" not in request:
                request += tls.recv(65536)
            head, _, body = request.partition(b"\r\n\r\n")
            lines = head.decode().split("\r\n")
            length = next(
                int(line.split(":", 1)[1])
                for line in lines
                if line.lower().startswith("content-length:")
            )
            while len(body) < length:
                body += tls.recv(65536)
            host = next(line for line in lines if line.startswith("Host:"))
            seen["host"].append(host.removeprefix("Host: "))
            tls.sendall(b"HTTP/1.1 204 No Content\r\nContent-Length: 0\r\n\r\n")

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    real_getaddrinfo = socket.getaddrinfo

    def resolve(host, port, *args, **kwargs):
        # The machine's resolver, with one name more: hooks.test is this machine.
        return real_getaddrinfo(
            "127.0.0.1" if host == "hooks.test" else host, port, *args, **kwargs
        )

    monkeypatch.setattr(socket, "getaddrinfo", resolve)
    yield port, seen
    thread.join(timeout=5)
    listener.close()


@pytest.mark.django_db
def test_https_connects_to_the_checked_address_with_the_urls_name(tls_receiver, delivery, settings):
    port, seen = tls_receiver
    delivery = delivery(f"https://hooks.test:{port}/yumroad")
    settings.SELLER_WEBHOOKS_ALLOW_PRIVATE = True

    attempt = try_once(delivery)

    assert (attempt.status_code, attempt.error) == (204, ""), attempt.error
    assert seen == {"sni": ["hooks.test"], "host": [f"hooks.test:{port}"]}


@pytest.mark.django_db
def test_a_certificate_of_another_name_is_a_failed_try(tls_receiver, delivery, settings):
    port, seen = tls_receiver
    delivery = delivery(f"https://127.0.0.1:{port}/yumroad")
    settings.SELLER_WEBHOOKS_ALLOW_PRIVATE = True

    attempt = try_once(delivery)

    assert attempt.status_code is None
    assert attempt.error.startswith("SSLCertVerificationError: ")
    assert "IP address mismatch" in attempt.error
    assert seen["host"] == []


@pytest.mark.django_db
@pytest.mark.usefixtures("private_allowed")
def test_with_the_immediate_backend_a_retry_waits_for_webhooks_send_due(
    receiver, django_capture_on_commit_callbacks, capsys
):
    store = StoreFactory()
    subscribe(store, receiver.url)
    receiver.statuses = [500]

    with django_capture_on_commit_callbacks(execute=True):
        sale(store)  # the first try runs in the request's commit, as in development

    delivery = WebhookDelivery.objects.get()
    assert (len(receiver.requests), delivery.tries) == (1, 1)
    call_command("webhooks_send_due")  # not due for a minute yet
    assert len(receiver.requests) == 1

    WebhookDelivery.objects.update(next_try_at=timezone.now() - timedelta(minutes=2))
    with django_capture_on_commit_callbacks(execute=True):
        call_command("webhooks_send_due")

    assert len(receiver.requests) == 2
    assert WebhookDelivery.objects.get().state == DeliveryState.DELIVERED
    assert "1 webhook deliveries queued." in capsys.readouterr().out


def test_ipv6_addresses_that_carry_a_private_ipv4_address_are_refused():
    import ipaddress

    for carried in ["::ffff:10.0.0.1", "2002:c0a8:0101::", "64:ff9b::a9fe:a9fe", "::ffff:8.8.8.8"]:
        refusal = outbound.address_refusal(ipaddress.ip_address(carried))
        assert (refusal == "") == (carried == "::ffff:8.8.8.8"), carried
    teredo = ipaddress.ip_address("2001:0:4136:e378:8000:63bf:f5ff:fffe")  # carries 10.0.0.1
    assert outbound.address_refusal(teredo) == "a private address"


def test_an_event_body_is_compact_json(db):
    store = StoreFactory()
    order = OrderFactory(product=SellableProductFactory(store=store))
    from api.webhooks import event_body

    body = event_body(event="sale", event_id="sale-1", order=order, created=timezone.now())

    assert " " not in body.replace(order.product_name, "")
    assert json.loads(body)["created"].endswith("Z")
    assert os.linesep not in body
