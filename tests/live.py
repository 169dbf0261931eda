"""A small browser for tests that run threads against `live_server`: its own cookies,
Django's CSRF token picked from the last form it saw, and multipart uploads."""

import http.cookiejar
import re
import urllib.error
import urllib.parse
import urllib.request
import uuid

from django.urls import reverse

CSRF_INPUT = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')


class Browser:
    def __init__(self, base_url):
        self.base_url = base_url
        self.opener = urllib.request.build_opener(
            urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar())
        )
        self.csrf_token = ""

    def log_in(self, email, password):
        self.get(reverse("accounts:login"))
        status, path, _ = self.post(
            reverse("accounts:login"), {"email": email, "password": password}
        )
        # A seller lands on the dashboard, a buyer in the library.
        assert status == 200
        assert path in (reverse("dashboard"), reverse("orders:library"))

    def get(self, path):
        """Open `path`; returns (status, final URL path, body)."""
        return self._open(urllib.request.Request(self.base_url + path))

    def post(self, path, data, files=None):
        """Send a form, with the CSRF token of the last page, following redirects."""
        fields = {"csrfmiddlewaretoken": self.csrf_token, **data}
        if files:
            boundary = uuid.uuid4().hex
            body = multipart(fields, files, boundary)
            content_type = f"multipart/form-data; boundary={boundary}"
        else:
            body = urllib.parse.urlencode(fields).encode()
            content_type = "application/x-www-form-urlencoded"
        request = urllib.request.Request(
            self.base_url + path,
            data=body,
            headers={"Content-Type": content_type, "Referer": self.base_url + path},
        )
        return self._open(request)

    def _open(self, request):
        try:
            with self.opener.open(request, timeout=60) as response:
                status, url, body = response.status, response.url, response.read().decode()
        except urllib.error.HTTPError as error:
            status, url, body = error.code, error.url, error.read().decode()
        if match := CSRF_INPUT.search(body):
            self.csrf_token = match.group(1)
        return status, urllib.parse.urlsplit(url).path, body


def multipart(fields, files, boundary):
    parts = []
    for name, value in fields.items():
        disposition = f'Content-Disposition: form-data; name="{name}"'
        parts.append(f"--{boundary}\r\n{disposition}\r\n\r\n{value}\r\n".encode())
    for name, (filename, content) in files.items():
        parts.append(
            f"--{boundary}\r\nContent-Disposition: form-data; "
            f'name="{name}"; filename="{filename}"\r\n'
            "Content-Type: application/octet-stream\r\n\r\n".encode()
            + content
            + b"\r\n"
        )
    parts.append(f"--{boundary}--\r\n".encode())
    return b"".join(parts)
