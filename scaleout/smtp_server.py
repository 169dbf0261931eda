"""An SMTP server of the fault test's own on loopback: it keeps every message it
accepts, and can hold its answer to DATA so that a sender is caught mid-send.

A message counts as sent once the server has read all of it and answered 250, as a
real server takes responsibility for it then. A sender killed while held has sent
nothing: its message must go out once, later.
"""

import email
import email.policy
import socketserver
import threading
from dataclasses import dataclass

HOLD_SECONDS = 8


@dataclass(frozen=True)
class Message:
    to: str
    subject: str
    reply_to: str


class SMTPServer(socketserver.ThreadingTCPServer):
    daemon_threads = True
    allow_reuse_address = True

    def __init__(self):
        super().__init__(("127.0.0.1", 0), SMTPHandler)
        self.port = self.server_address[1]
        self.lock = threading.Lock()
        self.messages = []
        self.held = 0  # senders held at DATA so far
        self.release = threading.Event()
        self.release.set()
        self.thread = threading.Thread(target=self.serve_forever, daemon=True)

    def start(self):
        self.thread.start()
        return self

    def stop(self):
        self.release.set()
        self.shutdown()
        self.server_close()

    def hold(self):
        """From now on, answer DATA only after `let_go` (or HOLD_SECONDS)."""
        self.release.clear()

    def let_go(self):
        self.release.set()

    def received(self):
        with self.lock:
            return list(self.messages)


class SMTPHandler(socketserver.StreamRequestHandler):
    timeout = 30

    def reply(self, line):
        self.wfile.write(line.encode() + b"\r\n")
        self.wfile.flush()

    def handle(self):
        server = self.server
        try:
            self.reply("220 127.0.0.1 ESMTP fault test")
            while line := self.rfile.readline():
                verb = line.decode("ascii", "replace").strip().split(" ", 1)[0].upper()
                if verb == "EHLO":
                    self.reply("250-127.0.0.1")
                    self.reply("250 8BITMIME")
                elif verb in ("HELO", "MAIL", "RCPT", "RSET", "NOOP"):
                    self.reply("250 OK")
                elif verb == "DATA":
                    if not server.release.is_set():
                        with server.lock:
                            server.held += 1
                        server.release.wait(HOLD_SECONDS)
                    self.reply("354 End data with <CR><LF>.<CR><LF>")
                    self.receive_message()
                    self.reply("250 OK queued")
                elif verb == "QUIT":
                    self.reply("221 Bye")
                    return
                else:
                    self.reply("502 Command not implemented")
        except OSError:
            return  # the sender is gone (killed mid-send)

    def receive_message(self):
        lines = []
        while True:
            line = self.rfile.readline()
            if not line:
                raise ConnectionError("the sender left before the end of the message")
            if line in (b".\r\n", b".\n"):
                break
            lines.append(line[1:] if line.startswith(b"..") else line)
        message = email.message_from_bytes(b"".join(lines), policy=email.policy.default)
        with self.server.lock:
            self.server.messages.append(
                Message(
                    to=str(message["To"]),
                    subject=str(message["Subject"]),
                    reply_to=str(message["Reply-To"] or ""),
                )
            )
