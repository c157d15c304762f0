"""Uploads only from sessions logged in as data staff: an ASGI middleware on Streamlit's upload route.

Streamlit stores whatever is sent to ``PUT /_stcore/upload_file/{session_id}/{file_id}`` in memory
for any live session, logged in or not, and a script that never shows a file uploader still holds
it until the session ends. :class:`UploadGuard` answers such a request with 403 **before reading its
body** unless the session's state, kept on the server, holds a :class:`StaffLogin` put there by the
login form (``ui.data_ui.login_gate``) for a role that may import. Nothing the browser sends can
create that object: widget values arrive as plain values, never as instances of this class.

The middleware is installed by ``serve.py`` (``st.App(..., middleware=[Middleware(UploadGuard)])``),
which is what ``make run`` and the tests start.
"""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable, MutableMapping
from dataclasses import dataclass
from typing import Any, Final

from geo.auth import UPLOAD_ROLES
from ui import state

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]

# Files one logged-in session may hold at a time (the data page shows at most a few uploaders;
# Streamlit drops files no widget refers to after each run).
MAX_FILES_PER_SESSION: Final = 8

_UPLOAD_PATH: Final = re.compile(r"(?:^|/)_stcore/upload_file/(?P<session>[^/]+)/[^/]+/?$")
_BODY_METHODS: Final = frozenset({"PUT", "POST", "PATCH"})
_REFUSED: Final = (
    "上传需要以数据编辑身份登录。 / Uploads need a data staff login (editor or admin).\n".encode()
)
_TOO_MANY: Final = "本会话已上传的文件过多。 / This session holds too many uploaded files.\n".encode()


@dataclass(frozen=True)
class StaffLogin:
    """The server-side mark of a session logged in as data staff (in ``st.session_state``)."""

    name: str
    role: str

    @property
    def may_upload(self) -> bool:
        """Whether this account's role may upload (import) files."""
        return self.role in UPLOAD_ROLES


def session_login(session_id: str) -> StaffLogin | None:
    """The data staff login held by a live Streamlit session, or None (also for unknown sessions)."""
    from streamlit import runtime

    if not runtime.exists():
        return None
    app_session = runtime.get_instance().get_app_session(session_id)
    if app_session is None:
        return None
    try:
        login = app_session.session_state[state.DATA_LOGIN]
    except Exception:  # absent, or state being rebuilt on the script thread: refuse
        return None
    return login if isinstance(login, StaffLogin) else None


def session_file_count(session_id: str) -> int:
    """How many uploaded files the server holds for a session."""
    from streamlit import runtime

    if not runtime.exists():
        return 0
    storage = getattr(runtime.get_instance().uploaded_file_mgr, "file_storage", {})
    return len(storage.get(session_id, ()))


class UploadGuard:
    """ASGI middleware: refuse uploads from sessions that are not logged in as data staff.

    Parameters
    ----------
    app
        The wrapped ASGI application (Streamlit's).
    login_of
        Looks up a session's :class:`StaffLogin` (for tests; default :func:`session_login`).
    file_count_of
        How many files a session already holds (default :func:`session_file_count`).
    """

    def __init__(
        self,
        app: ASGIApp,
        *,
        login_of: Callable[[str], StaffLogin | None] = session_login,
        file_count_of: Callable[[str], int] = session_file_count,
    ) -> None:
        self.app = app
        self.login_of = login_of
        self.file_count_of = file_count_of

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and scope.get("method") in _BODY_METHODS:
            match = _UPLOAD_PATH.search(scope.get("path", ""))
            if match is not None:
                session_id = match.group("session")
                login = self.login_of(session_id)
                if login is None or not login.may_upload:
                    await _refuse(send, 403, _REFUSED)
                    return
                if self.file_count_of(session_id) >= MAX_FILES_PER_SESSION:
                    await _refuse(send, 429, _TOO_MANY)
                    return
        await self.app(scope, receive, send)


async def _refuse(send: Send, status: int, body: bytes) -> None:
    # Answer without reading the request body and close the connection, so that the server never
    # buffers what the client is still sending.
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [
                (b"content-type", b"text/plain; charset=utf-8"),
                (b"content-length", str(len(body)).encode()),
                (b"connection", b"close"),
            ],
        }
    )
    await send({"type": "http.response.body", "body": body})
