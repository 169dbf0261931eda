"""Stand-ins for services outside Yumroad, for the tests."""

import smtplib

from django.core.mail.backends.locmem import EmailBackend


class FlakyEmailBackend(EmailBackend):
    """A mail server that drops the connection for the next `failures` sends, then
    delivers to django.core.mail.outbox. Counts every attempt in `attempts`."""

    failures = 0
    attempts = 0

    @classmethod
    def reset(cls, *, failures):
        cls.failures = failures
        cls.attempts = 0

    def send_messages(self, email_messages):
        type(self).attempts += 1
        if type(self).failures > 0:
            type(self).failures -= 1
            raise smtplib.SMTPServerDisconnected("Connection unexpectedly closed")
        return super().send_messages(email_messages)


class InterruptedEmailBackend(EmailBackend):
    """A mail server that, in the middle of the next send, lets `meanwhile()` run (what
    another worker does then), and then delivers to django.core.mail.outbox."""

    meanwhile = None

    def send_messages(self, email_messages):
        meanwhile, type(self).meanwhile = type(self).meanwhile, None
        if meanwhile is not None:
            meanwhile()
        return super().send_messages(email_messages)
