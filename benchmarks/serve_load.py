"""gdgrade serve under load: without a database, with SQLite, with PostgreSQL (one and two replicas),
one hostile client beside honest ones, and gdgrade grade on the same machine in the same run.

    python benchmarks/serve_load.py [--seconds 10] [--clients 1,10,50] [--jobs N] [--count 1000]
                                    [--stores none,sqlite,postgresql,postgresql-2] [--honest 20]

Each store runs ``gdgrade serve`` on loopback as a class would (students named by a trusted proxy's
``X-Remote-User``, which every client here sends as its own name; rate limit and quotas off, since
the load is the point), then for each number of clients sends ``POST /api/check`` from that many
students for SECONDS, each waiting for its answer before the next (a 503 is waited out as its
Retry-After says). ``postgresql-2`` is two replicas on one PostgreSQL, the clients taking them in
turn. The files are the sample submissions, each made unique. Prints, per level: checks per second,
p50 and p99 latency, the 503s, and the rate beside the rate without a database.

Then the hostile case: HONEST students as above beside one student who sends, back to back and
several at once, files that run until just before the time limit; prints the honest students' p99.
Last, grades COUNT such files with ``gdgrade grade`` and prints its rate. PostgreSQL is Debian's,
started in a temporary folder (tests/postgres.py), with fsync on as in production. The load
generator runs on the same cores as the server, so its own work is inside the figures.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import ROOT, SAMPLES, gdgrade, make_submissions, percentile, run_measured  # noqa: E402

sys.path.insert(0, str(ROOT))
from tests.postgres import Postgres  # noqa: E402

SLOW = "import time\ntime.sleep({seconds})\n"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@contextlib.contextmanager
def serving(db: str, jobs: int, timeout: float) -> Iterator[str]:
    """A running ``gdgrade serve`` keeping attempts in ``db``; its base URL."""
    port = free_port()
    server = subprocess.Popen(gdgrade("serve", "--port", str(port), "--jobs", str(jobs), "--rate", "0", "--quota", "0",
                                      "--quota-mib", "0", "--db", db, "--user-header", "X-Remote-User",
                                      "--timeout", str(timeout)), stderr=subprocess.PIPE)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 120
        while True:
            try:
                if httpx.get(f"{base}/readyz", timeout=5).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            if server.poll() is not None or time.monotonic() > deadline:
                sys.exit(f"gdgrade serve did not start: {server.stderr.read().decode() if server.stderr else ''}")
            time.sleep(0.1)
        yield base
    finally:
        server.terminate()
        server.wait(timeout=60)


async def student(bases: list[str], name: str) -> tuple[httpx.AsyncClient, str]:
    """A student's client with a session on the first server (the others share its secret)."""
    client = httpx.AsyncClient(timeout=120, headers={"X-Remote-User": name})
    me = await client.get(f"{bases[0]}/api/me")
    me.raise_for_status()
    client.headers["X-CSRF-Token"] = me.json()["csrf"]
    return client, name


async def load(bases: list[str], clients: int, seconds: float, texts: list[str], tag: str = "s",
               hostile_seconds: float | None = None) -> tuple[int, list[float], int, int]:
    """Answers, latencies (s), 503s and 429s of ``clients`` students sending for ``seconds``; with
    ``hostile_seconds`` one more student sends slow files, four at a time, and is not counted."""
    latencies: list[float] = []
    busy = refused = 0
    stop = time.perf_counter() + seconds
    students = [await student(bases, f"{tag}{number}") for number in range(clients)]

    async def one(number: int) -> None:
        nonlocal busy
        client, name = students[number]
        sent = number
        while time.perf_counter() < stop:
            started = time.perf_counter()
            source = f"student = {sent}\n" + texts[sent % len(texts)]
            answer = await client.post(f"{bases[sent % len(bases)]}/api/check", json={"source": source})
            sent += clients
            if answer.status_code == 503:
                busy += 1
                await asyncio.sleep(float(answer.headers.get("retry-after", "1")))
                continue
            answer.raise_for_status()
            latencies.append(time.perf_counter() - started)

    async def hostile(client: httpx.AsyncClient) -> None:
        nonlocal refused
        while time.perf_counter() < stop:
            answer = await client.post(f"{bases[0]}/api/check", json={"source": SLOW.format(seconds=hostile_seconds)})
            if answer.status_code == 429:
                refused += 1
                await asyncio.sleep(0.05)

    tasks = [one(number) for number in range(clients)]
    if hostile_seconds is not None:
        attacker, _ = await student(bases, f"{tag}-hostile")
        tasks += [hostile(attacker) for _ in range(4)]
    await asyncio.gather(*tasks)
    for client, _ in students:
        await client.aclose()
    return len(latencies), latencies, busy, refused


def report(label: str, clients: int, seconds: float, answered: int, latencies: list[float], busy: int,
           baseline: float | None) -> float:
    rate = answered / seconds
    beside = f"   {rate / baseline:4.0%} of no database" if baseline else ""
    print(f"{label:<14} {clients:3d} clients: {rate:7.1f} checks/s   p50 {percentile(latencies, .5) * 1000:7.1f} ms   "
          f"p99 {percentile(latencies, .99) * 1000:7.1f} ms   503s: {busy}{beside}")
    return rate


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--clients", default="1,10,50")
    parser.add_argument("--jobs", type=int, default=os.cpu_count() or 1)
    parser.add_argument("--count", type=int, default=1000, help="files graded by gdgrade grade")
    parser.add_argument("--stores", default="none,sqlite,postgresql,postgresql-2")
    parser.add_argument("--honest", type=int, default=20, help="honest students beside the hostile one (0: skip)")
    options = parser.parse_args()
    texts = [path.read_text() for path in SAMPLES]
    levels = [int(part) for part in options.clients.split(",")]
    stores = options.stores.split(",")
    print(f"machine: {os.cpu_count()} cores; gdgrade serve --jobs {options.jobs}; {options.seconds:g} s per level")
    baseline: dict[int, float] = {}
    with tempfile.TemporaryDirectory(prefix="gdgrade-bench-") as scratch, contextlib.ExitStack() as stack:
        postgres = None
        if any(store.startswith("postgresql") for store in stores):
            postgres = Postgres.start(durable=True)
            stack.callback(postgres.remove)
        for store in stores:
            replicas = 2 if store.endswith("-2") else 1
            db = {"none": "none", "sqlite": str(Path(scratch) / f"{store}.sqlite")}.get(store) or \
                postgres.create_database()  # type: ignore[union-attr]
            with contextlib.ExitStack() as servers:
                bases = [servers.enter_context(serving(db, options.jobs, 10)) for _ in range(replicas)]
                asyncio.run(load(bases, 2, 2.0, texts, tag=f"{store}-warm"))
                for clients in levels:
                    answered, latencies, busy, _ = asyncio.run(load(bases, clients, options.seconds, texts,
                                                                    tag=f"{store}-{clients}-"))
                    rate = report(store, clients, options.seconds, answered, latencies, busy, baseline.get(clients))
                    if store == "none":
                        baseline[clients] = rate
        if options.honest:
            with serving(str(Path(scratch) / "hostile.sqlite"), options.jobs, 10) as base:
                answered, latencies, busy, refused = asyncio.run(load([base], options.honest, options.seconds * 2,
                                                                      texts, tag="honest", hostile_seconds=9))
                print(f"hostile:       {options.honest} honest students beside one sending 9 s files, 4 at once: "
                      f"honest p50 {percentile(latencies, .5) * 1000:.0f} ms, p99 "
                      f"{percentile(latencies, .99) * 1000:.0f} ms, {answered} checks; the hostile one was "
                      f"refused {refused} times (one attempt at a time)")
        folder, out = Path(scratch) / "submissions", Path(scratch) / "out"
        make_submissions(folder, options.count)
        elapsed, _, result = run_measured(gdgrade("grade", str(folder), "--out", str(out), "--jobs", str(options.jobs)))
        if result.returncode != 0:
            sys.exit(f"gdgrade grade failed: {result.stderr}")
    grade_rate = options.count / elapsed
    print(f"grade:               {grade_rate:7.1f} submissions/s ({options.count} files, {elapsed:.1f} s)")
    if baseline:
        most = max(baseline)
        print(f"serve without a database at {most} clients / grade: {baseline[most] / grade_rate:.0%}")


if __name__ == "__main__":
    main()
