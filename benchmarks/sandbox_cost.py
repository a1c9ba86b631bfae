"""Cost of the sandbox per submission, with each per-child layer left out in turn.

For N forked children each, prints the median time the child spends in ``sandbox.enter`` (measured in
the child) and the median of the whole fork + enter + exit + wait cycle, for no sandbox, the full
sandbox, and the full sandbox minus one layer (the difference is that layer's cost).
Run as root to include the privilege drop:  python benchmarks/sandbox_cost.py [N]
"""

from __future__ import annotations

import dataclasses
import os
import shutil
import statistics
import struct
import sys
import tempfile
import time

import numpy  # noqa: F401 - the runner has numpy loaded when it forks

from grader import sandbox

LIMITS = {"cpu_seconds": 5, "memory_bytes": 1 << 30, "file_bytes": 1 << 24}


def measure(plan: sandbox.Plan | None, count: int) -> tuple[float, float]:
    """Median milliseconds in ``enter`` (in the child) and for the whole fork-to-wait cycle."""
    inside, cycle = [], []
    read, write = os.pipe()
    for _ in range(count):
        scratch = tempfile.mkdtemp(dir=plan.scratch_root if plan else None)
        started = time.perf_counter()
        pid = os.fork()
        if pid == 0:
            try:
                began = time.perf_counter()
                if plan is not None:
                    sandbox.enter(plan, dict(LIMITS, scratch=scratch), keep=(write,))
                os.write(write, struct.pack("=d", time.perf_counter() - began))
            finally:
                os._exit(0)
        os.waitpid(pid, 0)
        cycle.append(time.perf_counter() - started)
        inside.append(struct.unpack("=d", os.read(read, 8))[0])
        shutil.rmtree(scratch, ignore_errors=True)
    os.close(read)
    os.close(write)
    return statistics.median(inside) * 1000, statistics.median(cycle) * 1000


def main() -> None:
    count = int(sys.argv[1]) if len(sys.argv) > 1 else 300
    root = tempfile.mkdtemp(prefix="gdgrade-bench-")
    os.chmod(root, 0o711)
    began = time.perf_counter()
    full = sandbox.prepare(root, 0, strict=False)
    print(f"prepare, once per runner (probe, seccomp program, Landlock rules, namespaces): "
          f"{(time.perf_counter() - began) * 1000:.1f} ms")
    print(f"layers available: {', '.join(layer for layer in sandbox.LAYERS if layer not in full.unavailable)}")
    print(f"missing: {full.unavailable or 'none'}")
    _, bare = measure(None, count)
    whole_inside, whole = measure(full, count)
    print(f"{'':<30}{'in enter':>10}{'fork..wait':>12}")
    print(f"{'no sandbox':<30}{0:>10.3f}{bare:>12.3f} ms")
    print(f"{'full sandbox':<30}{whole_inside:>10.3f}{whole:>12.3f} ms")
    variants = {
        "landlock": dataclasses.replace(full, landlock_fd=None),
        "seccomp": dataclasses.replace(full, seccomp=None),
        "unprivileged": dataclasses.replace(full, uid=None),
    }
    for layer, plan in variants.items():
        inside, without = measure(plan, count)
        print(f"{'  without ' + layer:<30}{inside:>10.3f}{without:>12.3f} ms"
              f"   {layer} costs {whole_inside - inside:.3f} ms in enter, {whole - without:.3f} ms per cycle")
    shutil.rmtree(root, ignore_errors=True)


if __name__ == "__main__":
    main()
