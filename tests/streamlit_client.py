"""A Streamlit session opened without a browser, as a hostile client would: websocket, session id, raw PUTs.

Used by the server tests and ``benchmarks/bench_upload.py``. It speaks just enough of the protocol:
``GET /_stcore/health`` for the XSRF cookie, the ``/_stcore/stream`` websocket with that token, one
``rerun_script`` message to learn the session id, and ``PUT /_stcore/upload_file/{session}/{file}``
written to a plain socket (the server may answer and close before the body is sent).
"""

from __future__ import annotations

import contextlib
import http.cookies
import socket
import threading
import urllib.request
import uuid
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlparse

from streamlit.proto.BackMsg_pb2 import BackMsg
from streamlit.proto.ForwardMsg_pb2 import ForwardMsg

XSRF_COOKIE = "_streamlit_xsrf"


@dataclass(frozen=True)
class PutResult:
    """What the server answered to an upload (status None when it closed without an answer)."""

    status: int | None
    body: bytes
    sent_bytes: int


class RawSession:
    """A live Streamlit session driven over the websocket; use as a context manager.

    Parameters
    ----------
    base_url
        ``http://127.0.0.1:PORT`` of a running server.
    timeout_s
        How long to wait for the session id.
    """

    def __init__(self, base_url: str, *, timeout_s: float = 60.0) -> None:
        self.base_url = base_url.rstrip("/")
        parsed = urlparse(self.base_url)
        self.host = parsed.hostname or "127.0.0.1"
        self.port = parsed.port or 80
        self.timeout_s = timeout_s
        self.session_id = ""
        self.xsrf = ""
        self._ws: Any = None
        self._stack = contextlib.ExitStack()
        self._reader: threading.Thread | None = None
        self._got_id = threading.Event()
        self.script_finished = threading.Event()
        self.messages = 0

    def __enter__(self) -> RawSession:
        from websockets.sync.client import connect

        with urllib.request.urlopen(f"{self.base_url}/_stcore/health", timeout=self.timeout_s) as resp:
            for header in resp.headers.get_all("Set-Cookie") or []:
                cookie = http.cookies.SimpleCookie(header)
                if XSRF_COOKIE in cookie:
                    self.xsrf = cookie[XSRF_COOKIE].value
        ws_url = self.base_url.replace("http://", "ws://", 1) + "/_stcore/stream"
        self._ws = self._stack.enter_context(
            connect(
                ws_url,
                subprotocols=["streamlit", self.xsrf] if self.xsrf else ["streamlit"],  # type: ignore[list-item]
                origin=self.base_url,  # type: ignore[arg-type]
                additional_headers={"Cookie": f"{XSRF_COOKIE}={self.xsrf}"} if self.xsrf else None,
                max_size=None,
                open_timeout=self.timeout_s,
            )
        )
        msg = BackMsg()
        msg.rerun_script.query_string = ""
        msg.rerun_script.page_script_hash = ""
        self._ws.send(msg.SerializeToString())
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()
        if not self._got_id.wait(self.timeout_s):
            self.close()
            msg_ = f"no new_session message from {ws_url} within {self.timeout_s} s"
            raise TimeoutError(msg_)
        return self

    def _read(self) -> None:
        try:
            for raw in self._ws:
                self.messages += 1
                if not isinstance(raw, bytes):
                    continue
                fwd = ForwardMsg()
                try:
                    fwd.ParseFromString(raw)
                except Exception:  # not every frame is a ForwardMsg we can read
                    continue
                kind = fwd.WhichOneof("type")
                if kind == "new_session" and not self.session_id:
                    self.session_id = fwd.new_session.initialize.session_id
                    self._got_id.set()
                elif kind == "script_finished":
                    self.script_finished.set()
        except Exception:  # closed
            return

    def close(self) -> None:
        self._stack.close()
        self._ws = None

    def __exit__(self, *exc: object) -> None:
        self.close()

    def put_file(
        self,
        data: bytes,
        *,
        file_name: str = "facilities.csv",
        file_id: str | None = None,
        session_id: str | None = None,
        chunk_bytes: int = 1 << 20,
    ) -> PutResult:
        """PUT one file to the upload route as the browser's uploader does (multipart, XSRF header)."""
        boundary = uuid.uuid4().hex
        head = (
            f"--{boundary}\r\n"
            f'Content-Disposition: form-data; name="file"; filename="{file_name}"\r\n'
            "Content-Type: text/csv\r\n\r\n"
        ).encode()
        tail = f"\r\n--{boundary}--\r\n".encode()
        length = len(head) + len(data) + len(tail)
        path = f"/_stcore/upload_file/{session_id or self.session_id}/{file_id or uuid.uuid4().hex}"
        request = (
            f"PUT {path} HTTP/1.1\r\n"
            f"Host: {self.host}:{self.port}\r\n"
            f"Origin: {self.base_url}\r\n"
            f"X-Xsrftoken: {self.xsrf}\r\n"
            f"Cookie: {XSRF_COOKIE}={self.xsrf}\r\n"
            f"Content-Type: multipart/form-data; boundary={boundary}\r\n"
            f"Content-Length: {length}\r\n"
            "Connection: close\r\n\r\n"
        ).encode()
        sent = 0
        with socket.create_connection((self.host, self.port), timeout=self.timeout_s) as sock:
            try:
                sock.sendall(request + head)
                view = memoryview(data)
                for start in range(0, len(data), chunk_bytes):
                    sock.sendall(view[start : start + chunk_bytes])
                    sent += min(chunk_bytes, len(data) - start)
                sock.sendall(tail)
            except (BrokenPipeError, ConnectionResetError):
                pass  # the server answered early and closed: read what it said
            answer = b""
            try:
                while chunk := sock.recv(65536):
                    answer += chunk
            except (ConnectionResetError, TimeoutError):
                pass
        if not answer.startswith(b"HTTP/1."):
            return PutResult(None, answer, sent)
        status = int(answer.split(b" ", 2)[1])
        body = answer.split(b"\r\n\r\n", 1)[1] if b"\r\n\r\n" in answer else b""
        return PutResult(status, body, sent)
