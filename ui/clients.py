"""Who is on the other end of a session, as the server knows it: for the login's failed-attempt limits.

The session id is Streamlit's, kept on the server. The address is the connection's peer, as the
websocket handshake saw it; only when that peer is a trusted reverse proxy, listed in
``$CARECIRCLE_TRUSTED_PROXIES`` (comma-separated addresses or networks, e.g. ``127.0.0.1,10.0.0.0/24``),
is the address it forwards (``X-Forwarded-For``, ``X-Real-IP``) taken instead — see
``geo.auth.client_address`` and docs/security.md.
"""

from __future__ import annotations

import logging
import os
from functools import cache
from typing import Final

from geo.auth import LoginClient, Network, client_address, parse_trusted_proxies
from geo.errors import DataError

TRUSTED_PROXIES_ENV: Final = "CARECIRCLE_TRUSTED_PROXIES"
_LOG = logging.getLogger(__name__)


@cache
def trusted_proxies() -> tuple[Network, ...]:
    """The trusted proxies from the environment; a bad setting is logged and ignored (trust none)."""
    try:
        return parse_trusted_proxies(os.environ.get(TRUSTED_PROXIES_ENV))
    except DataError as exc:
        _LOG.error("%s ignored: %s", TRUSTED_PROXIES_ENV, exc)
        return ()


def login_client() -> LoginClient:
    """The current session's id and client address (None outside a running server, e.g. in AppTest)."""
    from streamlit import runtime
    from streamlit.runtime.scriptrunner import get_script_run_ctx

    ctx = get_script_run_ctx()
    session = ctx.session_id if ctx is not None else "-"
    peer: str | None = None
    headers: list[tuple[str, str]] = []
    if runtime.exists():
        session_client = runtime.get_instance().get_client(session)
        context = getattr(session_client, "client_context", None)
        if context is not None:
            peer = context.remote_ip
            headers = list(context.headers)
    return LoginClient(session=session, address=client_address(peer, headers, trusted_proxies()))
