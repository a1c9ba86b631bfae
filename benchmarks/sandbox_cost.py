"""Cost of the sandbox per submission, with each per-child layer left out in turn.

Runs where a fork server runs (new pid, net, IPC and mount namespaces, entered as the launcher
does), prepares the plan once, then forks N children for each variant: no sandbox, the full
sandbox, and the full sandbox minus one layer (the difference is that layer's cost). The variants
take turns child by child, so a machine's changing load falls on all alike. For each it prints the
medians of: the time the child spends in ``layers.enter`` (measured in the child), the CPU the
child uses from fork to exit (its own, from ``wait4``: what a shared machine's load inflates least),
the server's CPU per fork, and the whole fork + enter + exit + wait cycle. Run as root to include
the privilege drop and the private root:

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
MEASURES = ("in enter", "child CPU", "server CPU", "fork..wait")


def once(plan: layers.Plan | None, read: int, write: int) -> tuple[float, float, float, float]:
    """One child: seconds in ``enter``, its CPU, the server's CPU for it, the whole cycle."""
    started, server = time.perf_counter(), time.thread_time()
    pid = os.fork()
    if pid == 0:
        try:
            began = time.perf_counter()
            if plan is not None:
                layers.enter(plan, LIMITS, 0, keep=(write,))
            os.write(write, struct.pack("=d", time.perf_counter() - began))
        finally:
            os._exit(0)
    forked = time.thread_time() - server
    _, _, usage = os.wait4(pid, 0)
    cycle = time.perf_counter() - started
    inside = struct.unpack("=d", os.read(read, 8))[0]
    return inside, usage.ru_utime + usage.ru_stime, forked, cycle


def measure_all(count: int, namespaces: str, problem: str | None) -> None:
    began = time.perf_counter()
    full = layers.prepare(namespaces, problem)
    layers.fit(full, False, 1)
    print(f"prepare, once per fork server (private root, seccomp program, Landlock rules): "
          f"{(time.perf_counter() - began) * 1000:.1f} ms")
    print(f"layers available: {', '.join(layer for layer in layers.LAYERS if layer not in full.unavailable)}")
    print(f"missing: {full.unavailable or 'none'}")
    scratch, lock = cleanup.create(1, layers.UID_BASE if full.drop_to_uid else None)

    def without(layer: str, **changes: object) -> layers.Plan:
        return dataclasses.replace(full, **changes, unavailable={**full.unavailable, layer: "left out"})

    variants: dict[str, layers.Plan | None] = {
        "no sandbox": None,
        "full sandbox": full,
        "  without filesystem": without("filesystem", root=None, scratch_root=scratch),
        "  without landlock": without("landlock"),
        "  without seccomp": without("seccomp", seccomp=None),
        "  without unprivileged": without("unprivileged"),
    }
    results: dict[str, list[tuple[float, float, float, float]]] = {name: [] for name in variants}
    read, write = os.pipe()
    names = list(variants)
    for index in range(count):
        shift = index % len(names)
        for name in names[shift:] + names[:shift]:
            results[name].append(once(variants[name], read, write))
    os.close(read)
    os.close(write)
    os.close(lock)
    cleanup.remove_tree(scratch)
    medians = {name: [statistics.median(values) * 1000 for values in zip(*rows)] for name, rows in results.items()}
    print(f"medians of {count} children each, ms:")
    print(f"{'':<26}" + "".join(f"{measure:>12}" for measure in MEASURES))
    whole = medians["full sandbox"]
    for name, row in medians.items():
        line = f"{name:<26}" + "".join(f"{value:>12.3f}" for value in row)
        if name.startswith("  without"):
            layer = name.split()[-1]
            line += f"   {layer}: {whole[0] - row[0]:.3f} in enter, {whole[1] - row[1]:.3f} of child CPU"
        print(line)


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
