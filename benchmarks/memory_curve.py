"""Peak memory of a whole gdgrade batch as it grows: 1,000, 5,000 and 10,000 submissions.

    python benchmarks/memory_curve.py [COUNT ...]

Each count is graded from scratch; the peak is the resident memory of the grader's whole process
tree (grader, runners, children), sampled every 50 ms.
"""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import gdgrade, make_submissions, run_measured  # noqa: E402


def main() -> None:
    counts = [int(a) for a in sys.argv[1:]] or [1000, 5000, 10000]
    rows = []
    for count in counts:
        with tempfile.TemporaryDirectory(prefix="gdgrade-memory-") as scratch:
            folder = Path(scratch) / "submissions"
            make_submissions(folder, count)
            elapsed, peak, result = run_measured(gdgrade("grade", str(folder), "--out", str(Path(scratch) / "out")))
            if result.returncode != 0:
                sys.exit(f"gdgrade failed: {result.stderr}")
        rows.append((count, peak, elapsed))
        print(f"{count:>6} submissions: peak {peak / 2**20:7.1f} MiB, {elapsed:6.1f} s ({count / elapsed:.0f}/s)",
              flush=True)
    first = rows[0][1]
    print("relative to the first: " + ", ".join(f"{count}: {peak / first:.2f}x" for count, peak, _ in rows))


if __name__ == "__main__":
    main()
