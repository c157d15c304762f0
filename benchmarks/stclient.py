"""A small client of Streamlit's websocket protocol, for load and serving benchmarks.

A browser tab of a Streamlit app is a websocket to ``/_stcore/stream`` that sends ``BackMsg``
protobufs (``rerun_script`` with the page and the widget values) and receives ``ForwardMsg`` protobufs
(the elements of each run, then ``script_finished``). This client speaks that protocol with the
protobuf classes shipped in the ``streamlit`` package and the ``websockets`` library, so one Python
process can hold dozens of sessions without running their JavaScript: the server does exactly the
work it does for a browser (it cannot tell the difference), while the client costs a fraction of a
Chromium page. Like the browser, the client tells the server which large messages it already holds
(``cached_message_hashes``), so unchanged maps are sent as references.

What it does not do: run components' JavaScript (a map's own events are sent as widget values when a
scenario needs them), load static files, or render anything.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from streamlit.proto.BackMsg_pb2 import BackMsg
from streamlit.proto.ClientState_pb2 import ContextInfo
from streamlit.proto.ForwardMsg_pb2 import ForwardMsg
from streamlit.proto.WidgetStates_pb2 import WidgetState
from websockets.asyncio.client import ClientConnection, connect

_DONE = {
    ForwardMsg.FINISHED_SUCCESSFULLY,
    ForwardMsg.FINISHED_WITH_COMPILE_ERROR,
    ForwardMsg.FINISHED_FRAGMENT_RUN_SUCCESSFULLY,
}
_ID_PREFIX = "$$ID-"
MAX_MESSAGE_BYTES = 200 * 1024 * 1024


@dataclass(frozen=True)
class Element:
    """One element of a run: its kind (``radio``, ``markdown``, ``component_instance`` …) and fields."""

    kind: str
    widget_id: str
    key: str | None
    label: str
    text: str
    options: tuple[str, ...]
    size_bytes: int


@dataclass
class Run:
    """What one script run sent: its elements in order, its bytes on the wire and its duration."""

    elements: list[Element] = field(default_factory=list)
    bytes_received: int = 0
    seconds: float = 0.0
    errors: list[str] = field(default_factory=list)

    def texts(self) -> list[str]:
        """Every text of the run (markdown, headings, captions, alerts, labels)."""
        return [e.text for e in self.elements if e.text] + [e.label for e in self.elements if e.label]

    def has_text(self, needle: str) -> bool:
        """Whether any text of the run contains ``needle``."""
        return any(needle in text for text in self.texts())

    def widget(self, *, key: str | None = None, label: str | None = None) -> Element:
        """The widget with this user key or label (``LookupError`` naming what the run had)."""
        for element in self.elements:
            if not element.widget_id:
                continue
            if (key is not None and element.key == key) or (label is not None and element.label == label):
                return element
        have = ", ".join(f"{e.kind}:{e.key or e.label!r}" for e in self.elements if e.widget_id)
        msg = f"no widget with key={key!r} label={label!r} in this run; widgets: {have}"
        raise LookupError(msg)


def _text_of(kind: str, proto: Any) -> str:
    if kind in ("markdown", "heading", "text", "caption"):
        return str(getattr(proto, "body", ""))
    if kind == "alert":
        return str(proto.body)
    return ""


def _element(msg: ForwardMsg, size_bytes: int) -> Element | None:
    if msg.WhichOneof("type") != "delta" or msg.delta.WhichOneof("type") != "new_element":
        return None
    el = msg.delta.new_element
    kind = el.WhichOneof("type") or ""
    proto = getattr(el, kind) if kind else None
    widget_id = str(getattr(proto, "id", "")) if proto is not None else ""
    key = None
    if widget_id.startswith(_ID_PREFIX):
        parts = widget_id.split("-", 2)
        key = parts[2] if len(parts) == 3 and parts[2] != "None" else None
    label = str(getattr(proto, "label", "")) if proto is not None and hasattr(proto, "label") else ""
    options = tuple(getattr(proto, "options", ())) if proto is not None and hasattr(proto, "options") else ()
    return Element(
        kind=kind,
        widget_id=widget_id,
        key=key,
        label=label,
        text=_text_of(kind, proto),
        options=tuple(str(o) for o in options),
        size_bytes=size_bytes,
    )


def widget_state(widget_id: str, value: Any) -> WidgetState:
    """A widget value as the browser sends it: ``True`` for a button press (a trigger), a string for
    radio, select box and text input (the option as displayed), a list of strings for a multiselect,
    a ``("json", text)`` pair for a component value, a number for a number input."""
    state = WidgetState(id=widget_id)
    if value is True:
        state.trigger_value = True
    elif isinstance(value, str):
        state.string_value = value
    elif isinstance(value, tuple) and len(value) == 2 and value[0] == "json":
        state.json_value = str(value[1])
    elif isinstance(value, list | tuple):
        state.string_array_value.data.extend(str(v) for v in value)
    elif isinstance(value, float | int):
        state.double_value = float(value)
    else:
        msg = f"cannot send a widget value of type {type(value).__name__}"
        raise TypeError(msg)
    return state


class Session:
    """One browser-like session of a Streamlit app.

    Parameters
    ----------
    base_url
        ``http://127.0.0.1:PORT`` of the server.
    timezone, locale
        What the browser would report about itself.
    """

    def __init__(self, base_url: str, *, timezone: str = "Asia/Shanghai", locale: str = "zh-CN") -> None:
        self.base_url = base_url.rstrip("/")
        self.timezone = timezone
        self.locale = locale
        self._ws: ClientConnection | None = None
        self._reader: asyncio.Task[None] | None = None
        self._inbox: asyncio.Queue[tuple[ForwardMsg, int]] = asyncio.Queue()
        self._cache: dict[str, ForwardMsg] = {}
        self._values: dict[str, Any] = {}  # widget id → value, sent with every rerun like the browser
        self.page_name = ""
        self.last: Run | None = None

    async def connect(self) -> None:
        """Open the websocket (the server creates the session on connect)."""
        ws_url = self.base_url.replace("http://", "ws://", 1) + "/_stcore/stream"
        self._ws = await connect(
            ws_url, subprotocols=["streamlit"], max_size=MAX_MESSAGE_BYTES, open_timeout=60, ping_timeout=None
        )
        self._reader = asyncio.create_task(self._read())

    async def _read(self) -> None:
        assert self._ws is not None
        try:
            async for data in self._ws:
                raw = data if isinstance(data, bytes) else data.encode()
                msg = ForwardMsg()
                msg.ParseFromString(raw)
                await self._inbox.put((msg, len(raw)))
        except Exception:  # the connection closed; run() notices through its timeout
            return

    async def run(
        self,
        page: str | None = None,
        *,
        widgets: Mapping[str, Any] | None = None,
        query_string: str = "",
        timeout_s: float = 300.0,
    ) -> Run:
        """Ask for a script run (a page view or a widget change) and wait until it has finished.

        Parameters
        ----------
        page
            URL path of the page (``find``, ``coverage`` …); ``None`` stays on the current page.
        widgets
            Widget id → value (see :func:`widget_state`) changed by this interaction.
        query_string
            The page's query string, without ``?``.
        """
        if self._ws is None:
            await self.connect()
        assert self._ws is not None
        if page is not None:
            self.page_name = page
        back = BackMsg()
        state = back.rerun_script
        state.query_string = query_string
        # The page by its URL path, as the browser does on a first request; the server resolves it.
        state.page_name = self.page_name
        state.context_info.CopyFrom(
            ContextInfo(
                timezone=self.timezone,
                timezone_offset=-480,
                locale=self.locale,
                url=f"{self.base_url}/{self.page_name}",
            )
        )
        state.cached_message_hashes.extend(self._cache)
        # The browser sends the value of every widget on screen with each rerun (a button's press
        # only once); widgets the previous run no longer drew are forgotten.
        if self.last is not None:
            shown = {e.widget_id for e in self.last.elements if e.widget_id}
            self._values = {k: v for k, v in self._values.items() if k in shown}
        changes = dict(widgets or {})
        self._values.update({k: v for k, v in changes.items() if v is not True})
        for widget_id, value in {**self._values, **changes}.items():
            state.widget_states.widgets.append(widget_state(widget_id, value))
        run = Run()
        start = time.perf_counter()
        await self._ws.send(back.SerializeToString())
        deadline = start + timeout_s
        while True:
            remaining = deadline - time.perf_counter()
            if remaining <= 0:
                msg = f"page {self.page_name!r}: no script_finished within {timeout_s:.0f} s"
                raise TimeoutError(msg)
            msg, size = await asyncio.wait_for(self._inbox.get(), timeout=remaining)
            run.bytes_received += size
            kind = msg.WhichOneof("type")
            if kind == "ref_hash":
                cached = self._cache.get(msg.ref_hash)
                if cached is None:
                    run.errors.append(f"reference to a message never received: {msg.ref_hash}")
                    continue
                msg = cached
                kind = msg.WhichOneof("type")
            elif msg.metadata.cacheable and msg.hash:
                self._cache[msg.hash] = msg
            if kind == "page_not_found":
                run.errors.append(f"page not found: {self.page_name!r}")
            elif kind == "delta":
                element = _element(msg, size)
                if element is not None:
                    run.elements.append(element)
                    if element.kind == "exception":
                        exc = msg.delta.new_element.exception
                        run.errors.append(f"{exc.type}: {exc.message}")
            elif kind == "script_finished":
                if msg.script_finished == ForwardMsg.FINISHED_EARLY_FOR_RERUN:
                    run.elements.clear()  # st.rerun(): the next run's elements replace these
                    continue
                if msg.script_finished in _DONE:
                    break
        run.seconds = time.perf_counter() - start
        self.last = run
        return run

    async def interact(self, changes: Iterable[tuple[Element, Any]], **kwargs: Any) -> Run:
        """Change widgets found in an earlier run (``(element, value)`` pairs) and wait for the rerun."""
        return await self.run(widgets={element.widget_id: value for element, value in changes}, **kwargs)

    async def close(self) -> None:
        """Close the websocket (the server keeps the session for its reconnection grace period)."""
        if self._ws is not None:
            await self._ws.close()
        if self._reader is not None:
            self._reader.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._reader
        self._ws = None
        self._reader = None
