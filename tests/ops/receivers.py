"""Local stand-ins for the outside world the alert path talks to, started by the tests on 127.0.0.1.

- ``DingTalkReceiver``: a real HTTP server that verifies the robot signature (timestamp + HMAC-SHA256)
  exactly as DingTalk does, answers ``{"errcode": 0}`` or ``310000`` (sign mismatch), keeps what arrived.
- ``SmtpReceiver``: a minimal SMTP server (socketserver) speaking HELO/EHLO, MAIL, RCPT, DATA, QUIT.
"""

from __future__ import annotations

import base64
import email
import email.policy
import hashlib
import hmac
import json
import socketserver
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlparse


class DingTalkReceiver:
    def __init__(self, secret: str):
        self.secret = secret
        self.messages: list[dict] = []
        self.rejected: list[dict] = []
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):  # noqa: N802 - http.server API
                query = parse_qs(urlparse(self.path).query)
                body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
                timestamp, sign = query.get("timestamp", [""])[0], query.get("sign", [""])[0]
                expected = base64.b64encode(
                    hmac.new(receiver.secret.encode(), f"{timestamp}\n{receiver.secret}".encode(),
                             hashlib.sha256).digest()
                ).decode()
                ok = bool(timestamp) and hmac.compare_digest(sign, expected)
                (receiver.messages if ok else receiver.rejected).append(
                    {"timestamp": timestamp, "sign": sign, "body": body})
                answer = {"errcode": 0, "errmsg": "ok"} if ok else {"errcode": 310000, "errmsg": "sign not match"}
                data = json.dumps(answer).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/robot/send?access_token=test-token"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self):
        self.server.shutdown()
        self.server.server_close()


class SmtpReceiver:
    def __init__(self):
        self.messages: list[email.message.EmailMessage] = []
        self.envelopes: list[tuple[str, list[str]]] = []
        receiver = self

        class Handler(socketserver.StreamRequestHandler):
            def reply(self, line: str) -> None:
                self.wfile.write((line + "\r\n").encode())

            def handle(self):
                self.reply("220 localhost vaxdw-test-smtp")
                sender, recipients = "", []
                while True:
                    raw = self.rfile.readline()
                    if not raw:
                        return
                    line = raw.decode("utf-8", "replace").rstrip("\r\n")
                    verb = line[:4].upper()
                    if verb == "EHLO":
                        self.reply("250-localhost")
                        self.reply("250 8BITMIME")
                    elif verb == "HELO":
                        self.reply("250 localhost")
                    elif verb == "MAIL":
                        sender, recipients = line.split(":", 1)[1].strip().split()[0].strip("<>"), []
                        self.reply("250 OK")
                    elif verb == "RCPT":
                        recipients.append(line.split(":", 1)[1].strip().strip("<>"))
                        self.reply("250 OK")
                    elif verb == "DATA":
                        self.reply("354 End data with <CR><LF>.<CR><LF>")
                        chunks = []
                        while True:
                            data = self.rfile.readline()
                            if data in (b".\r\n", b".\n", b""):
                                break
                            chunks.append(data[1:] if data.startswith(b"..") else data)
                        receiver.envelopes.append((sender, recipients))
                        receiver.messages.append(
                            email.message_from_bytes(b"".join(chunks), policy=email.policy.default))
                        self.reply("250 OK queued")
                    elif verb == "QUIT":
                        self.reply("221 Bye")
                        return
                    elif verb in ("RSET", "NOOP"):
                        self.reply("250 OK")
                    else:
                        self.reply("502 Command not implemented")

        class Server(socketserver.ThreadingTCPServer):
            daemon_threads = True
            allow_reuse_address = True

        self.server = Server(("127.0.0.1", 0), Handler)
        self.port = self.server.server_address[1]
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self):
        self.server.shutdown()
        self.server.server_close()
