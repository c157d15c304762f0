"""Login under attack: guesses checked in parallel bursts, answer times per case, memory under a flood.

What it measures, on a temporary SQLite database with one editor account:

* **bursts** — 20 and 40 wrong passwords at the same moment (threads, then processes), from one
  client (one session, one address) and from as many clients as attempts; prints how many were
  checked against the account's real argon2 hash (the limits allow a fixed number).
* **right password in a burst** — after the limit is reached, a burst of 20 in which 5 carry the right
  password: how many were accepted (should be 0), and then whether the real user from a clean client
  (another session and a known address) still gets in.
* **timing** — median and spread of the answer time for an unknown name, a wrong password, and a
  limited attempt (known and unknown name): one answer, one timing.
* **memory** — peak resident memory of a fresh process while 40 logins run at once (each argon2
  check takes 64 MiB; at most two run at a time).

Run::

    PYTHONPATH=. .venv/bin/python benchmarks/bench_login.py [--samples 15]

The same script runs against an older checkout (``PYTHONPATH=/path/to/old/checkout``), whose
``verify_login`` knows no clients: then every attempt is the same anonymous client.
"""

from __future__ import annotations

import argparse
import inspect
import json
import multiprocessing as mp
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from argon2 import PasswordHasher

from geo import auth
from geo.store import FacilityStore, open_store

NAME = "wang.li"
PASSWORD = "correct horse battery"
WRONG = "wrong password 0000"


def _has_clients() -> bool:
    return "client" in inspect.signature(auth.verify_login).parameters


def attempt(store: FacilityStore, name: str, password: str, *, session: str, address: str) -> Any:
    """One login as the app makes it (with the client where this version knows clients)."""
    if _has_clients():
        # A long wait for an argon2 turn: every attempt is answered (none "busy"), the worst case.
        policy = auth.LoginPolicy(hash_wait_s=600.0)
        return auth.verify_login(
            store, name, password, client=auth.LoginClient(session, address), policy=policy
        )
    return auth.verify_login(store, name, password)


class _CountingHasher:
    """Counts verifications against one hash (the account's), by patching PasswordHasher.verify."""

    def __init__(self, real_hash: str) -> None:
        self.real_hash = real_hash
        self.count = 0
        self._lock = threading.Lock()
        self._original = PasswordHasher.verify

    def __enter__(self) -> _CountingHasher:
        counter = self

        def verify(hasher: PasswordHasher, hash_: str | bytes, password: str | bytes) -> bool:
            if hash_ == counter.real_hash:
                with counter._lock:
                    counter.count += 1
            return counter._original(hasher, hash_, password)

        PasswordHasher.verify = verify  # type: ignore[method-assign]
        return self

    def __exit__(self, *exc: object) -> None:
        PasswordHasher.verify = self._original  # type: ignore[method-assign]


def _fresh_store(folder: Path, tag: str) -> tuple[FacilityStore, str]:
    url = f"sqlite:///{folder / f'{tag}.db'}"
    store = open_store(url, create=False)
    store.create_schema()
    auth.add_user(store, NAME, PASSWORD, role="editor")
    return store, url


def _real_hash(store: FacilityStore) -> str:
    import sqlalchemy as sa

    from geo.store import users

    with store.engine.connect() as conn:
        return str(conn.execute(sa.select(users.c.password_hash)).scalar_one())


def _clients(n: int, *, spread: bool) -> list[tuple[str, str]]:
    if spread:
        return [(f"attacker-session-{i}", f"203.0.113.{i + 1}") for i in range(n)]
    return [("attacker-session", "203.0.113.1")] * n


def burst_threads(store: FacilityStore, passwords: list[str], clients: list[tuple[str, str]]) -> list[bool]:
    """All attempts released at once from threads; returns which were accepted."""
    barrier = threading.Barrier(len(passwords))
    results: list[bool] = [False] * len(passwords)

    def run(i: int) -> None:
        barrier.wait()
        session, address = clients[i]
        results[i] = bool(attempt(store, NAME, passwords[i], session=session, address=address).ok)

    threads = [threading.Thread(target=run, args=(i,)) for i in range(len(passwords))]
    for th in threads:
        th.start()
    for th in threads:
        th.join()
    return results


def _process_worker(
    url: str, password: str, session: str, address: str, real_hash: str, barrier: Any
) -> tuple[bool, bool]:
    store = open_store(url, create=False)
    with _CountingHasher(real_hash) as counter:
        barrier.wait()
        ok = bool(attempt(store, NAME, password, session=session, address=address).ok)
    store.engine.dispose()
    return ok, counter.count > 0


def burst_processes(
    url: str, real_hash: str, passwords: list[str], clients: list[tuple[str, str]]
) -> tuple[int, int]:
    """All attempts released at once from separate processes; returns (accepted, checked)."""
    ctx = mp.get_context("fork")
    barrier = ctx.Manager().Barrier(len(passwords))
    with ctx.Pool(len(passwords)) as pool:
        out = pool.starmap(
            _process_worker,
            [(url, pw, s, a, real_hash, barrier) for pw, (s, a) in zip(passwords, clients, strict=True)],
        )
    return sum(ok for ok, _ in out), sum(checked for _, checked in out)


def bursts(folder: Path) -> list[dict[str, Any]]:
    rows = []
    for n in (20, 40):
        for spread in (False, True):
            for how in ("threads", "processes"):
                store, url = _fresh_store(folder, f"burst-{n}-{spread}-{how}")
                real = _real_hash(store)
                clients = _clients(n, spread=spread)
                if how == "threads":
                    with _CountingHasher(real) as counter:
                        accepted = sum(burst_threads(store, [WRONG] * n, clients))
                    checked = counter.count
                else:
                    accepted, checked = burst_processes(url, real, [WRONG] * n, clients)
                rows.append(
                    {
                        "attempts": n,
                        "clients": n if spread else 1,
                        "how": how,
                        "checked": checked,
                        "accepted": accepted,
                    }
                )
                store.engine.dispose()
    return rows


def right_password_in_burst(folder: Path) -> dict[str, Any]:
    store, _ = _fresh_store(folder, "right")
    # The real user logged in before from the office: a known address.
    attempt(store, NAME, PASSWORD, session="user-yesterday", address="198.51.100.7")
    # An attacker elsewhere keeps failing until limited, from one client and then from many.
    for i in range(15):
        attempt(store, NAME, WRONG, session="attacker-session", address="203.0.113.1")
        attempt(store, NAME, WRONG, session=f"attacker-{i}", address=f"203.0.113.{i + 2}")
    passwords = [PASSWORD if i % 4 == 0 else WRONG for i in range(20)]
    one_client = burst_threads(store, passwords, _clients(20, spread=False))
    many_clients = burst_threads(store, passwords, [(f"late-{i}", f"203.0.114.{i}") for i in range(20)])
    clean = attempt(store, NAME, PASSWORD, session="user-today", address="198.51.100.7")
    store.engine.dispose()
    return {
        "right passwords in burst": 5,
        "accepted (one attacker client)": sum(one_client),
        "accepted (20 new clients)": sum(many_clients),
        "real user from a clean client accepted": bool(clean.ok),
    }


def _time_cases(cases: dict[str, Callable[[], Any]], samples: int) -> dict[str, dict[str, float]]:
    """Answer times per case, taken round-robin so that machine load falls on every case alike."""
    times: dict[str, list[float]] = {label: [] for label in cases}
    for fn in cases.values():
        fn()  # warm-up (first argon2 call, first query)
    for _ in range(samples):
        for label, fn in cases.items():
            start = time.perf_counter()
            fn()
            times[label].append((time.perf_counter() - start) * 1000)
    return {
        label: {
            "median_ms": round(statistics.median(t), 1),
            "min_ms": round(min(t), 1),
            "max_ms": round(max(t), 1),
        }
        for label, t in times.items()
    }


def timing(folder: Path, samples: int) -> dict[str, dict[str, float]]:
    store, _ = _fresh_store(folder, "timing")
    auth.add_user(store, "zhao.locked", PASSWORD, role="editor")
    for _ in range(12):  # lock zhao.locked (and the client) out
        attempt(store, "zhao.locked", WRONG, session="s-locked", address="203.0.113.50")
    for _ in range(12):
        attempt(store, "ghost.locked", WRONG, session="s-locked", address="203.0.113.50")
    counter = iter(range(10**6))

    def fresh() -> tuple[str, str]:
        i = next(counter)
        return f"s-{i}", f"198.18.{i // 250}.{i % 250 + 1}"

    cases = {
        "unknown name": lambda: attempt(
            store, f"nobody{next(counter)}", WRONG, **dict(zip(("session", "address"), fresh(), strict=True))
        ),
        "wrong password": lambda: attempt(
            store, NAME, WRONG, **dict(zip(("session", "address"), fresh(), strict=True))
        ),
        "limited, known name": lambda: attempt(
            store, "zhao.locked", PASSWORD, session="s-locked", address="203.0.113.50"
        ),
        "limited, unknown name": lambda: attempt(
            store, "ghost.locked", PASSWORD, session="s-locked", address="203.0.113.50"
        ),
    }
    out = _time_cases(cases, samples)
    answers = {
        label: (r.message_zh, r.message_en, getattr(r, "retry_after_s", 0))
        for label, r in (
            ("unknown name", attempt(store, "nobody-x", WRONG, session="s-a", address="198.19.0.1")),
            ("wrong password", attempt(store, NAME, WRONG, session="s-b", address="198.19.0.2")),
            (
                "limited, known name",
                attempt(store, "zhao.locked", PASSWORD, session="s-locked", address="203.0.113.50"),
            ),
        )
    }
    out["same answer text"] = {"value": float(len({a[:2] for a in answers.values()}) == 1)}
    out["retry_after_s shown"] = {"value": float(max(a[2] for a in answers.values()))}
    store.engine.dispose()
    return out


def _rss_kib(field: str) -> int:
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith(field + ":"):
                return int(line.split()[1])
    return 0


def _rss_child(n: int) -> None:
    """In a fresh process: n logins at once (half unknown names); prints RSS before and the peak."""
    folder = Path(tempfile.mkdtemp())
    store = open_store(f"sqlite:///{folder / 'rss.db'}", create=False)
    store.create_schema()
    auth.add_user(store, NAME, PASSWORD, role="editor")
    attempt(store, NAME, WRONG, session="warm", address="192.0.2.1")
    before = _rss_kib("VmRSS")
    barrier = threading.Barrier(n)

    def run(i: int) -> None:
        barrier.wait()
        name = NAME if i % 2 else f"nobody{i}"
        attempt(store, name, WRONG, session=f"s{i}", address=f"198.18.0.{i + 1}")

    threads = [threading.Thread(target=run, args=(i,)) for i in range(n)]
    for th in threads:
        th.start()
    for th in threads:
        th.join()
    print(json.dumps({"rss_before_mib": before / 1024, "peak_mib": _rss_kib("VmHWM") / 1024}))


def memory(n: int) -> dict[str, float]:
    out = subprocess.run(
        [sys.executable, __file__, "--rss-child", str(n)], capture_output=True, text=True, check=True
    )
    return {k: round(v, 1) for k, v in json.loads(out.stdout.strip().splitlines()[-1]).items()}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--samples", type=int, default=15, help="timed attempts per case")
    parser.add_argument("--skip", nargs="*", default=(), choices=("bursts", "right", "timing", "memory"))
    parser.add_argument("--rss-child", type=int, default=0, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.rss_child:
        _rss_child(args.rss_child)
        return 0
    print(f"geo.auth from {Path(auth.__file__).resolve().parents[1]} (clients: {_has_clients()})")
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        if "bursts" not in args.skip:
            print("\n== bursts of wrong passwords (checked = verified against the real hash)")
            print(f"{'attempts':>8} {'clients':>7} {'how':>10} {'checked':>7} {'accepted':>8}")
            for row in bursts(folder):
                print(
                    f"{row['attempts']:>8} {row['clients']:>7} {row['how']:>10} {row['checked']:>7} {row['accepted']:>8}"
                )
        if "right" not in args.skip:
            print("\n== the right password in a burst after the limit is hit")
            for key, value in right_password_in_burst(folder).items():
                print(f"{key:>42}: {value}")
        if "timing" not in args.skip:
            print(f"\n== answer time ({args.samples} samples each)")
            for key, value in timing(folder, args.samples).items():
                print(f"{key:>24}: {value}")
    if "memory" not in args.skip:
        print("\n== memory: 40 logins at once in a fresh process")
        print(memory(40))
    return 0


if __name__ == "__main__":
    sys.exit(main())
