"""The emails Django's file backend wrote to a folder (EMAIL_FILE_PATH)."""

import email
import email.policy
import re
import time

SEPARATOR = b"\n" + b"-" * 79 + b"\n"
DOWNLOAD_LINK = re.compile(r"https?://\S+?/downloads/[^/\s]+/")


def sent_emails(folder):
    """Every email in `folder`: (to, subject, plain text body), oldest first."""
    found = []
    for path in sorted(folder.glob("*.log")):
        for raw in path.read_bytes().split(SEPARATOR):
            if raw.strip():
                message = email.message_from_bytes(raw.lstrip(), policy=email.policy.default)
                body = message.get_body(preferencelist=("plain",)).get_content()
                found.append((message["To"], message["Subject"], body))
    return found


def wait_for_email(folder, to, subject_start, timeout=20):
    """The body of the last email to `to` whose subject starts so, once it is sent."""
    deadline = time.monotonic() + timeout
    while True:
        for address, subject, body in reversed(sent_emails(folder)):
            if address == to and subject.startswith(subject_start):
                return body
        if time.monotonic() > deadline:
            raise AssertionError(f"No email {subject_start!r} to {to} in {folder}")
        time.sleep(0.2)


def download_link(body):
    match = DOWNLOAD_LINK.search(body)
    assert match, body
    return match.group(0)
