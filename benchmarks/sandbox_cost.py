"""Cost of the sandbox per submission, with each per-child layer left out in turn.

Runs where a fork server runs (new pid, net, IPC and mount namespaces, entered as the launcher
does), prepares the plan once, then for N forked children each prints the median time the child
spends in ``layers.enter`` (measured in the child) and the median of the whole fork + enter + exit
+ wait cycle, for no sandbox, the full sandbox, and the full sandbox minus one layer (the
difference is that layer's cost). Run as root to include the privilege drop and the private root:

    python benchmarks/sandbox_cost.py [N]
"""

from __future__ import annotations

import dataclasses
import os
import statistics
import struct
import sys
import time

import numpy  # noqa: F401 - the fork server has numpy loaded when it forks

from grader.grade import Settings
from grader.sandbox import cleanup, forkserver, layers

LIMITS = Settings().limits()


def measure(plan: layers.Plan | None, count: int) -> tuple[float, float]:
    """Median milliseconds in ``enter`` (in the child) and for the whole fork-to-wait cycle."""
    inside, cycle = [], []
    read, write = os.pipe()
    for _ in range(count):
        started = time.perf_counter()
        pid = os.fork()
        if pid == 0:
            try:
                began = time.perf_counter()
                if plan is not None:
                    layers.enter(plan, LIMITS, 0, keep=(write,))
                os.write(write, struct.pack("=d", time.perf_counter() - began))
            finally:
                os._exit(0)
        os.waitpid(pid, 0)
        cycle.append(time.perf_counter() - started)
        inside.append(struct.unpack("=d", os.read(read, 8))[0])
    os.close(read)
    os.close(write)
    return statistics.median(inside) * 1000, statistics.median(cycle) * 1000


def measure_all(count: int, namespaces: str, problem: str | None) -> None:
    began = time.perf_counter()
    full = layers.prepare(False, 1, namespaces, problem)
    print(f"prepare, once per fork server (private root, seccomp program, Landlock rules): "
          f"{(time.perf_counter() - began) * 1000:.1f} ms")
    print(f"layers available: {', '.join(layer for layer in layers.LAYERS if layer not in full.unavailable)}")
    print(f"missing: {full.unavailable or 'none'}")
    _, bare = measure(None, count)
    whole_inside, whole = measure(full, count)
    print(f"{'':<30}{'in enter':>10}{'fork..wait':>12}")
    print(f"{'no sandbox':<30}{0:>10.3f}{bare:>12.3f} ms")
    print(f"{'full sandbox':<30}{whole_inside:>10.3f}{whole:>12.3f} ms")
    scratch, lock = cleanup.create(1, layers.UID_BASE if full.drop_to_uid else None)

    def without(layer: str, **changes: object) -> layers.Plan:
        return dataclasses.replace(full, **changes, unavailable={**full.unavailable, layer: "left out"})

    variants = {
        "filesystem": without("filesystem", root=None, scratch_root=scratch),
        "landlock": without("landlock"),
        "seccomp": without("seccomp", seccomp=None),
        "unprivileged": without("unprivileged"),
    }
    for layer, plan in variants.items():
        inside, without = measure(plan, count)
        print(f"{'  without ' + layer:<30}{inside:>10.3f}{without:>12.3f} ms"
              f"   {layer} costs {whole_inside - inside:.3f} ms in enter, {whole - without:.3f} ms per cycle")
    os.close(lock)
    cleanup.remove_tree(scratch)


def main() -> None:
    count = int(sys.argv[1]) if len(sys.argv) > 1 else 300
    namespaces, problem = forkserver._enter_namespaces()
    pid = os.fork()  # process 1 of the new pid namespace, as the fork server is
    if pid == 0:
        try:
            measure_all(count, namespaces, problem)
            sys.stdout.flush()
        finally:
            os._exit(0)
    os.waitpid(pid, 0)


if __name__ == "__main__":
    main()
