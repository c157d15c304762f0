"""ui.upload_guard.UploadGuard as an ASGI middleware: who may reach Streamlit's upload route."""

from __future__ import annotations

import asyncio
import concurrent.futures
from typing import Any

import pytest

from ui.upload_guard import MAX_FILES_PER_SESSION, StaffLogin, UploadGuard

SESSION = "0b9e7c2a-5d7e-4c1f-9d8e-1f2a3b4c5d6e"


class FakeApp:
    """Records whether the request got through."""

    def __init__(self) -> None:
        self.calls: list[str] = []

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        self.calls.append(scope["path"])
        await send({"type": "http.response.start", "status": 204, "headers": []})
        await send({"type": "http.response.body", "body": b""})


def _call(
    guard: UploadGuard, method: str, path: str, *, scope_type: str = "http"
) -> tuple[int | None, bytes, int]:
    sent: list[dict[str, Any]] = []
    reads = 0

    async def receive() -> dict[str, Any]:
        nonlocal reads
        reads += 1
        return {"type": "http.request", "body": b"x" * 1024, "more_body": True}

    async def send(message: dict[str, Any]) -> None:
        sent.append(message)

    scope = {"type": scope_type, "method": method, "path": path, "headers": []}
    # In a thread of its own: the browser tests' session-wide Playwright keeps an event loop running
    # in the main thread, where asyncio.run refuses to start another.
    with concurrent.futures.ThreadPoolExecutor(max_workers=1) as pool:
        pool.submit(asyncio.run, guard(scope, receive, send)).result()
    status = next((m["status"] for m in sent if m["type"] == "http.response.start"), None)
    body = b"".join(m.get("body", b"") for m in sent if m["type"] == "http.response.body")
    return status, body, reads


def _guard(login: StaffLogin | None, files: int = 0) -> tuple[UploadGuard, FakeApp]:
    app = FakeApp()
    return UploadGuard(app, login_of=lambda _sid: login, file_count_of=lambda _sid: files), app


@pytest.mark.parametrize("method", ["PUT", "POST", "PATCH"])
@pytest.mark.parametrize(
    "path",
    [f"/_stcore/upload_file/{SESSION}/f1", f"/carecircle/_stcore/upload_file/{SESSION}/f1/"],
)
def test_upload_without_login_is_refused_before_the_body_is_read(method: str, path: str) -> None:
    guard, app = _guard(None)
    status, body, reads = _call(guard, method, path)
    assert status == 403
    assert reads == 0 and app.calls == []
    text = body.decode()
    assert "登录" in text and "login" in text


def test_editor_and_admin_reach_streamlit() -> None:
    for role in ("editor", "admin"):
        guard, app = _guard(StaffLogin("wang", role))
        status, _, _ = _call(guard, "PUT", f"/_stcore/upload_file/{SESSION}/f1")
        assert status == 204 and app.calls == [f"/_stcore/upload_file/{SESSION}/f1"]


def test_a_role_that_may_not_import_is_refused() -> None:
    guard, app = _guard(StaffLogin("wang", "viewer"))
    status, _, _ = _call(guard, "PUT", f"/_stcore/upload_file/{SESSION}/f1")
    assert status == 403 and app.calls == []


def test_a_session_holding_too_many_files_is_refused() -> None:
    guard, app = _guard(StaffLogin("wang", "editor"), files=MAX_FILES_PER_SESSION)
    status, body, reads = _call(guard, "PUT", f"/_stcore/upload_file/{SESSION}/f9")
    assert status == 429 and reads == 0 and app.calls == []
    assert "文件过多" in body.decode() and "too many" in body.decode()


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("GET", "/"),
        ("GET", "/_stcore/health"),
        ("DELETE", f"/_stcore/upload_file/{SESSION}/f1"),
        ("OPTIONS", f"/_stcore/upload_file/{SESSION}/f1"),
        ("PUT", "/app/static/uploads_are_not_here.csv"),
    ],
)
def test_other_requests_pass(method: str, path: str) -> None:
    guard, app = _guard(None)
    status, _, _ = _call(guard, method, path)
    assert status == 204 and app.calls == [path]


def test_websocket_and_lifespan_pass() -> None:
    guard, app = _guard(None)
    _call(guard, "GET", "/_stcore/stream", scope_type="websocket")
    assert app.calls == ["/_stcore/stream"]


def test_session_login_outside_a_server_is_none() -> None:
    from ui.upload_guard import session_file_count, session_login

    assert session_login(SESSION) is None
    assert session_file_count(SESSION) == 0
