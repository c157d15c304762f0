"""Serve CareCircle Ordos: the Streamlit app (``streamlit_app.py``) with the server's own guards.

``make run`` starts this file (``streamlit run serve.py``); so can ``uvicorn serve:app``. Compared
with ``streamlit run streamlit_app.py`` it adds :class:`ui.upload_guard.UploadGuard`, which refuses
file uploads from sessions that are not logged in as data staff before reading a byte of them.
"""

from __future__ import annotations

import streamlit as st
from starlette.middleware import Middleware
from streamlit.watcher import polling_path_watcher

from ui.upload_guard import UploadGuard

# Streamlit watches its config files by polling them five times a second whatever
# server.fileWatcherType says (a thread wakes, takes the interpreter lock and looks at the files). A
# served app does not reload itself (.streamlit/config.toml), so a changed config.toml is read within
# a minute instead: the polls cost CPU all day and slowed every rerun by about 10 ms (docs/serving.md).
CONFIG_POLL_SECONDS = 60.0
if hasattr(polling_path_watcher, "_POLLING_PERIOD_SECS"):
    polling_path_watcher._POLLING_PERIOD_SECS = CONFIG_POLL_SECONDS  # type: ignore[misc]

app = st.App("streamlit_app.py", middleware=[Middleware(UploadGuard)])

if __name__ == "__main__":
    app.run()
