"""Loaded by the app server in the offline test (``PYTHONPATH`` points here): logs every attempt to
reach a host other than this machine, from Python's audit events, to ``$CARECIRCLE_SOCKET_AUDIT``."""

from __future__ import annotations

import json
import os
import sys
import threading

_LOG_PATH = os.environ.get("CARECIRCLE_SOCKET_AUDIT")
_LOCAL = {"127.0.0.1", "::1", "localhost", "0.0.0.0", "::", "", None}
_lock = threading.Lock()


def _host(address: object) -> object:
    if isinstance(address, tuple) and address:
        return address[0]
    return None  # AF_UNIX paths and the like stay on this machine


def _hook(event: str, args: tuple[object, ...]) -> None:
    if event in ("socket.connect", "socket.sendto", "socket.sendmsg"):
        host = _host(args[1]) if len(args) > 1 else None
    elif event in ("socket.getaddrinfo", "socket.gethostbyname"):
        host = args[0]
    else:
        return
    if isinstance(host, bytes):
        host = host.decode(errors="replace")
    if host in _LOCAL or (isinstance(host, str) and host.startswith("127.")):
        return
    with _lock, open(_LOG_PATH, "a") as log:  # type: ignore[arg-type]
        log.write(json.dumps({"event": event, "host": str(host)}) + "\n")


if _LOG_PATH:
    sys.addaudithook(_hook)
