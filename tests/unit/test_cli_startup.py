"""Start-up of ``python -m geo``: what building the parser and a straight-line run load.

Not timings (those are in ``benchmarks/bench_startup.py``): each check runs a fresh interpreter and
looks at ``sys.modules``, so a heavy import slipped back in at the top of a module fails here
whatever the machine's load.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]

# Never needed to parse arguments or print help.
HEAVY = (
    "numpy",
    "pandas",
    "geopandas",
    "shapely",
    "pyproj",
    "pyogrio",
    "scipy",
    "numba",
    "sqlalchemy",
    "alembic",
    "argon2",
    "rasterio",
    "folium",
    "matplotlib",
    "pulp",
    "h3",
    "openpyxl",
    "rapidfuzz",
)


def _loaded_after(code: str, *, env: dict[str, str] | None = None) -> set[str]:
    """Run ``code`` in a fresh interpreter; the modules it left in ``sys.modules`` and their packages."""
    probe = f"{code}\nimport json, sys\nprint(json.dumps(sorted(sys.modules)))"
    done = subprocess.run(
        [sys.executable, "-c", probe],
        cwd=REPO,
        env={**os.environ, **(env or {}), "PYTHONPATH": str(REPO)},
        capture_output=True,
        text=True,
        check=True,
    )
    names = set(json.loads(done.stdout.strip().splitlines()[-1]))
    return names | {name.split(".")[0] for name in names}


def test_building_the_parser_loads_no_heavy_module() -> None:
    loaded = _loaded_after("from geo import cli\ncli.build_parser()")
    assert not loaded & set(HEAVY), f"building the parser imported {sorted(loaded & set(HEAVY))}"


def test_help_and_usage_errors_load_no_heavy_module() -> None:
    code = (
        "import contextlib, io\n"
        "from geo.cli import main\n"
        "with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()):\n"
        "    assert main(['--help']) == 0\n"
        "    assert main(['coverage', '--help']) == 0\n"
        "    assert main(['suggest', '--type']) == 2\n"
    )
    loaded = _loaded_after(code)
    assert not loaded & set(HEAVY), f"--help imported {sorted(loaded & set(HEAVY))}"


def test_auth_does_not_hash_or_load_argon2_on_import() -> None:
    loaded = _loaded_after("import geo.auth")
    assert "argon2" not in loaded
    assert "sqlalchemy" not in loaded


def _subcommands(parser: argparse.ArgumentParser) -> dict[str, argparse.ArgumentParser]:
    action = next(a for a in parser._actions if a.dest == "command")
    return dict(action.choices)  # type: ignore[arg-type]


def test_one_command_builds_only_its_own_group() -> None:
    # COMMANDS names the module of every command the whole parser has, and the parser of one
    # command's group parses and explains that command exactly as the whole parser does.
    from geo import cli

    whole = _subcommands(cli.build_parser())
    assert set(whole) == set(cli.COMMANDS) | {"init", "facilities"}
    for command, module in cli.COMMANDS.items():
        lean = _subcommands(cli.build_parser(command))
        assert command in lean and len(lean) < len(whole), command
        assert lean[command].format_help() == whole[command].format_help(), command
        assert lean[command].format_usage() == whole[command].format_usage(), command
        assert module in cli.COMMAND_MODULES
    assert set(_subcommands(cli.build_parser("init"))) == {"init", "facilities"}
    assert cli._command_in(["--database", "sqlite:///x.db", "coverage", "--type", "x"]) == "coverage"
    assert cli._command_in(["--database=sqlite:///x.db", "users", "list"]) == "users"
    assert cli._command_in(["--help"]) is None and cli._command_in([]) is None
    loaded = _loaded_after("from geo import cli\ncli.build_parser('coverage')")
    assert "geo.cli_coverage" in loaded and not loaded & {"geo.cli_users", "geo.auth", "geo.cli_data"}


def test_import_help_still_states_the_file_limits() -> None:
    from geo.cli import build_parser
    from geo.validate import MAX_BYTES, MAX_ROWS

    sub = next(a for a in build_parser()._actions if a.dest == "command")
    text = sub.choices["import"].format_help()  # type: ignore[union-attr]
    assert f"{MAX_BYTES // 1024**2} MB" in text and f"{MAX_ROWS:,} rows" in text


def test_straight_line_coverage_reads_only_what_it_needs(tmp_path: Path) -> None:
    # The straight-line count needs the published facilities, the cells and the districts' names:
    # not the geometry stack, SciPy (2SFCA sums over the pairs the straight-line model lists), the
    # road-network kernels, SQLAlchemy or the migration tool (an up-to-date SQLite store is read
    # with sqlite3, geo.published), or the importers' libraries.
    def run(*argv: str) -> str:
        return (
            "import contextlib, io\n"
            "from geo.cli import main\n"
            "out = io.TextIOWrapper(io.BytesIO())  # the CSV is written to its bytes buffer\n"
            "with contextlib.redirect_stdout(out), contextlib.redirect_stderr(io.StringIO()):\n"
            f"    code = main({list(argv)!r})\n"
            "assert code == 0, code\n"
        )

    env = {"DATABASE_URL": f"sqlite:///{tmp_path / 'c.db'}"}
    _loaded_after(run("init"), env=env)  # a new database is migrated (Alembic) once
    # Opening an up-to-date store checks its schema without Alembic.
    assert "alembic" not in _loaded_after(run("init"), env=env)
    coverage = ("coverage", "--type", "community_station", "--minutes", "15", "--straight-line")
    loaded = _loaded_after(run(*coverage, "--format", "json"), env=env) | _loaded_after(
        run(*coverage), env=env
    )
    unwanted = {
        "geopandas",
        "shapely",
        "pyogrio",
        "scipy",
        "numba",
        "sqlalchemy",
        "alembic",
        "argon2",
        "folium",
        "matplotlib",
        "pulp",
    }
    assert not loaded & unwanted, f"straight-line coverage imported {sorted(loaded & unwanted)}"
    assert "geo.published" in loaded and "geo.store" not in loaded


def test_the_quick_schema_check_agrees_with_alembic(tmp_path: Path) -> None:
    # ``open_store`` checks the schema without loading Alembic: the head read from the revision files
    # and the revision read from the database must be Alembic's own answers.
    from alembic.script import ScriptDirectory

    from geo import db, migrate

    assert migrate.head_revision() == ScriptDirectory.from_config(migrate.alembic_config()).get_current_head()
    engine = db.create_engine(f"sqlite:///{tmp_path / 's.db'}")
    with engine.connect() as conn:
        assert migrate._recorded_revision(conn) is None  # a new database: the full upgrade runs
    migrate.upgrade(engine)
    with engine.connect() as conn:
        assert migrate._recorded_revision(conn) == migrate.current_revision(conn) == migrate.head_revision()
    engine.dispose()
