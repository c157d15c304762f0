"""CareCircle Ordos domain package: facilities, demand, travel times and coverage.

This package never imports streamlit; the app's pages call it through ``ui/``.
"""

__version__ = "0.1.0"
