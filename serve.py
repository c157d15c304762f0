"""Serve CareCircle Ordos: the Streamlit app (``streamlit_app.py``) with the server's own guards.

``make run`` starts this file (``streamlit run serve.py``); so can ``uvicorn serve:app``. Compared
with ``streamlit run streamlit_app.py`` it adds :class:`ui.upload_guard.UploadGuard`, which refuses
file uploads from sessions that are not logged in as data staff before reading a byte of them.
"""

from __future__ import annotations

import streamlit as st
from starlette.middleware import Middleware

from ui.upload_guard import UploadGuard

app = st.App("streamlit_app.py", middleware=[Middleware(UploadGuard)])

if __name__ == "__main__":
    app.run()
