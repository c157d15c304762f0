"""Severities of validation issues, and the counts every validation result offers.

Facility files (``geo.validation_report``), population files (``geo.demand``) and township
boundaries (``geo.boundaries``) are checked in the same style: a list of issues, each an error
(the file cannot be imported as it is) or a warning (imported, but worth a look).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Final, Protocol

ERROR: Final[str] = "error"
WARNING: Final[str] = "warning"


class _HasSeverity(Protocol):
    @property
    def severity(self) -> str: ...


class IssueCounts:
    """Mixin for a validation result whose ``issues`` each have a ``severity``."""

    issues: Sequence[_HasSeverity]

    @property
    def has_errors(self) -> bool:
        """Whether any issue is an error (the file cannot be imported as it is)."""
        return any(i.severity == ERROR for i in self.issues)

    @property
    def n_errors(self) -> int:
        """Number of errors."""
        return sum(1 for i in self.issues if i.severity == ERROR)

    @property
    def n_warnings(self) -> int:
        """Number of warnings."""
        return sum(1 for i in self.issues if i.severity == WARNING)
