"""How many runs sharing one run among byte-identical files saves on a class that starts from one starter file.

    python benchmarks/same_program.py [--count 1000] [--seed 7]

Each synthetic student takes one of the samples (the correct versions and the common mistakes) and
makes it their own the way students do: their own comments, blank lines, a docstring, spacing
around operators, a print of their own; about a third also change what the code does (another
name for a helper, an extra step). Prints how many submissions there were, how many runs the
sandbox was given, how many distinct files there were among them, and how long grading took
(files that differ in anything run for themselves: see docs/security.md).
"""

from __future__ import annotations

import argparse
import random
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import SAMPLES  # noqa: E402

COSMETIC = [
    lambda text, rng: text.replace("# TODO", rng.choice(["# done", "# TODO (finished)", "#", "# my answer"])),
    lambda text, rng: "\n" * rng.randint(1, 3) + text,
    lambda text, rng: f'"""Quiz 3, {rng.choice(["gradient descent", "one step", "homework"])}."""\n' + text,
    lambda text, rng: text.replace("np.dot(x, w)", "np.dot(x,w)"),
    lambda text, rng: text.replace("\n\n\n", "\n\n"),
    lambda text, rng: text + rng.choice(["", "# end\n", "\n# checked by hand\n"]),
]
REAL = [
    lambda text, rng: text + f"print('student {rng.randint(1, 10**6)}')\n",
    lambda text, rng: text.replace("def sigmoid(", "def my_sigmoid(").replace("sigmoid(h)", "my_sigmoid(h)"),
    lambda text, rng: text + "total = float(np.sum(del_w))\n",
]


def make_class(folder: Path, count: int, seed: int) -> None:
    rng = random.Random(seed)
    texts = [path.read_text() for path in SAMPLES]
    for index in range(count):
        text = rng.choice(texts)
        for change in rng.sample(COSMETIC, rng.randint(0, 3)):
            text = change(text, rng)
        if rng.random() < 1 / 3:
            text = rng.choice(REAL)(text, rng)
        (folder / f"student{index:05d}").mkdir(parents=True)
        (folder / f"student{index:05d}" / "gradient.py").write_text(text)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=1000)
    parser.add_argument("--seed", type=int, default=7)
    options = parser.parse_args()
    from grader import intake
    from grader.grade import Grader, Settings
    from grader.quiz import load

    with tempfile.TemporaryDirectory(prefix="gdgrade-same-") as scratch:
        make_class(Path(scratch), options.count, options.seed)
        submissions = intake.find([Path(scratch)]).submissions
        identical = len({submission.read() for submission in submissions})
        started = time.perf_counter()
        with Grader(load("gradient_descent"), Settings(seed=1), 2) as grader:
            reports = list(grader.grade(submissions))
            runs = grader.runs
        elapsed = time.perf_counter() - started
    print(f"{len(reports)} submissions, {identical} distinct files, {runs} runs "
          f"({100 * (1 - runs / len(reports)):.0f}% of runs saved); graded in {elapsed:.1f} s")


if __name__ == "__main__":
    main()
