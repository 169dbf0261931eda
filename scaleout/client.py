"""A visitor speaking HTTP to any of the app servers, with one cookie jar.

Cookies for 127.0.0.1 go to every port, as they would to every app server behind one
load balancer, so a session started on one server is presented to the other.
"""

import io
import re

import requests
from PIL import Image

CSRF = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')
PASSWORD = "a-Str0ng-passphrase"


def png_bytes(colour="seagreen"):
    buffer = io.BytesIO()
    Image.new("RGB", (120, 90), colour).save(buffer, format="PNG")
    return buffer.getvalue()


class Visitor:
    def __init__(self, urls):
        self.urls = urls
        self.http = requests.Session()

    def get(self, server, path, **kwargs):
        kwargs.setdefault("allow_redirects", False)
        return self.http.get(self.urls[server] + path, timeout=30, **kwargs)

    def submit(self, server, path, data, files=None, form_path=None):
        """POST a form the way a browser does: its page first, for the CSRF token."""
        page = self.get(server, form_path or path)
        assert page.status_code == 200, (form_path or path, page.status_code)
        token = CSRF.search(page.text).group(1)
        return self.http.post(
            self.urls[server] + path,
            data={"csrfmiddlewaretoken": token, **data},
            files=files,
            allow_redirects=False,
            timeout=30,
        )

    def sign_up(self, server, email, store_name):
        """Sign up, then open the store."""
        response = self.submit(
            server, "/accounts/signup/", {"email": email, "password": PASSWORD, "confirm": PASSWORD}
        )
        assert response.status_code == 302, response.text[:2000]
        response = self.submit(server, "/stores/new/", {"name": store_name})
        assert response.status_code == 302, response.text[:2000]

    def log_in(self, server, email, password=PASSWORD):
        return self.submit(server, "/accounts/login/", {"email": email, "password": password})

    def add_product(self, server, name, price="5", picture=True):
        """The new product's path, /products/<id>/."""
        files = {"file": ("guide.pdf", f"%PDF-1.4 {name}\n".encode(), "application/pdf")}
        if picture:
            files["image"] = ("cover.png", png_bytes(), "image/png")
        response = self.submit(
            server,
            "/products/create/",
            {"name": name, "description": f"All about {name}.", "price": price},
            files=files,
        )
        assert response.status_code == 302, response.text[:2000]
        return response.headers["Location"]

    def edit_product(self, server, path, name, price="5"):
        return self.submit(
            server,
            f"{path}edit/",
            {"name": name, "description": f"All about {name}.", "price": price},
        )

    def buy(self, server, product_path, email):
        """Buy on the test checkout; returns the checkout session id."""
        start = self.submit(server, f"{product_path}buy/", {}, form_path=product_path)
        assert start.status_code == 303, (start.status_code, start.text[:2000])
        checkout = start.headers["Location"]
        session_id = checkout.rstrip("/").rsplit("/", 1)[1]
        paid = self.submit(server, checkout, {"action": "pay", "email": email})
        assert paid.status_code == 302, (paid.status_code, paid.text[:2000])
        assert paid.headers["Location"].startswith("/orders/")  # the receipt
        return session_id
