"""gdgrade serve under load, beside gdgrade grade on the same machine in the same run.

    python benchmarks/serve_load.py [--seconds 15] [--clients 1,10,50] [--jobs N] [--count 1000]

Starts ``gdgrade serve`` on loopback (its rate limit off, since every client here has one address;
its queue as it comes), then for each number of clients sends ``POST /api/check`` requests from that
many concurrent clients for SECONDS, each client waiting for its answer before the next request (a
503 is waited out as its Retry-After says). The files are the sample submissions, each made unique.
Prints, per level: answers per second, p50 and p99 latency, and how many were 503. Then grades
COUNT such files with ``gdgrade grade`` and prints its rate, and the ratio at the most clients.
The load generator runs on the same cores as the server, so its own work is inside the figures.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import SAMPLES, gdgrade, make_submissions, percentile, run_measured  # noqa: E402


async def load(base: str, clients: int, seconds: float, texts: list[str]) -> tuple[int, list[float], int]:
    """Answers, their latencies (s) and the 503s of ``clients`` clients sending for ``seconds``."""
    latencies: list[float] = []
    busy = 0
    stop = time.perf_counter() + seconds
    limits = httpx.Limits(max_connections=clients, max_keepalive_connections=clients)
    async with httpx.AsyncClient(base_url=base, timeout=120, limits=limits) as client:

        async def one(number: int) -> None:
            nonlocal busy
            sent = number
            while time.perf_counter() < stop:
                started = time.perf_counter()
                source = f"client = {sent}\n" + texts[sent % len(texts)]
                answer = await client.post("/api/check", json={"source": source})
                sent += clients
                if answer.status_code == 503:
                    busy += 1
                    await asyncio.sleep(float(answer.headers.get("retry-after", "1")))
                    continue
                answer.raise_for_status()
                latencies.append(time.perf_counter() - started)

        await asyncio.gather(*(one(number) for number in range(clients)))
    return len(latencies), latencies, busy


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=15.0)
    parser.add_argument("--clients", default="1,10,50")
    parser.add_argument("--jobs", type=int, default=os.cpu_count() or 1)
    parser.add_argument("--count", type=int, default=1000, help="files graded by gdgrade grade")
    options = parser.parse_args()
    texts = [path.read_text() for path in SAMPLES]
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    server = subprocess.Popen(gdgrade("serve", "--port", str(port), "--jobs", str(options.jobs), "--rate", "0"),
                              stderr=subprocess.PIPE)
    base = f"http://127.0.0.1:{port}"
    rates: dict[int, float] = {}
    try:
        deadline = time.monotonic() + 120
        while True:
            try:
                if httpx.get(f"{base}/api/quiz", timeout=5).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            if server.poll() is not None or time.monotonic() > deadline:
                sys.exit(f"gdgrade serve did not start: {server.stderr.read().decode() if server.stderr else ''}")
            time.sleep(0.1)
        asyncio.run(load(base, 2, 2.0, texts))  # warm up
        print(f"machine: {os.cpu_count()} cores; gdgrade serve --jobs {options.jobs}; {options.seconds:g} s per level")
        for clients in (int(part) for part in options.clients.split(",")):
            answered, latencies, busy = asyncio.run(load(base, clients, options.seconds, texts))
            rates[clients] = answered / options.seconds
            print(f"serve, {clients:3d} clients: {rates[clients]:7.1f} checks/s   "
                  f"p50 {percentile(latencies, .5) * 1000:7.1f} ms   p99 {percentile(latencies, .99) * 1000:7.1f} ms   "
                  f"503 answers: {busy}")
    finally:
        server.terminate()
        server.wait(timeout=60)
    with tempfile.TemporaryDirectory(prefix="gdgrade-bench-") as scratch:
        folder, out = Path(scratch) / "submissions", Path(scratch) / "out"
        make_submissions(folder, options.count)
        elapsed, _, result = run_measured(gdgrade("grade", str(folder), "--out", str(out), "--jobs", str(options.jobs)))
        if result.returncode != 0:
            sys.exit(f"gdgrade grade failed: {result.stderr}")
    grade_rate = options.count / elapsed
    most = max(rates)
    print(f"grade:               {grade_rate:7.1f} submissions/s ({options.count} files, {elapsed:.1f} s)")
    print(f"serve at {most} clients / grade: {rates[most] / grade_rate:.0%}")


if __name__ == "__main__":
    main()
