"""Streamlit-only helpers: session-state keys, the string catalog, cached loaders and map widgets."""
