"""Where the program keeps its files: the repository, the shipped datasets, the default database.

Light on purpose (standard library only): the command line builds its parser and help from these
without loading the database layer.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Final

REPO_ROOT: Final[Path] = Path(__file__).resolve().parent.parent
DATASETS_DIR: Final[Path] = REPO_ROOT / "datasets"
DEFAULT_DB_PATH: Path = REPO_ROOT / "data" / "carecircle.db"
"""The embedded SQLite database used when neither ``--database`` nor ``$DATABASE_URL`` is given."""


def database_url(url: str | None = None) -> str:
    """The database URL: the argument, else ``$DATABASE_URL``, else ``sqlite:///data/carecircle.db``."""
    return url or os.environ.get("DATABASE_URL") or f"sqlite:///{DEFAULT_DB_PATH}"


def network_dir(url: str | None = None) -> Path:
    """Where the road networks of a database are saved: ``networks/`` next to a SQLite file, else
    ``data/networks`` in the repository. The CLI and the app both look here, so a network imported
    with ``python -m geo network import`` is the one the app uses."""
    resolved = database_url(url)
    if resolved.startswith("sqlite:///"):
        return Path(resolved.removeprefix("sqlite:///")).parent / "networks"
    return REPO_ROOT / "data" / "networks"
