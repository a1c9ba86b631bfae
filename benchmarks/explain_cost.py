"""What explaining a wrong value costs: the formula search of grader/explain.py, per wrong check.

    python benchmarks/explain_cost.py [REPEATS]

For the gradient-descent quiz's last step (del_w: the most quantities to search) and a middle one
(error), times the search for a value it explains at once (one term), one it explains with three
factors, and one it cannot explain (the whole space searched), over the quiz's public case and 4
hidden cases. Prints the median milliseconds of each; then, in the same run, the one-change search
(grader/nearby.py, through ``diagnose``) for a value it explains and for one it cannot, which is
what it adds before the formula search.
"""

from __future__ import annotations

import statistics
import sys
import time

import numpy as np

from grader import diagnose, explain
from grader.compare import Reference
from grader.evidence import CaseRun, Context, Facts
from grader.protocol import Numeric
from grader.quiz import load


def quantities(quiz, cases, position: int) -> dict[str, list[np.ndarray]]:
    upstream = [*quiz.input_names, *quiz.variables[:position]]
    solved = Reference(quiz, cases).upstream  # each case's inputs and reference steps
    return {name: [np.asarray(case[name], dtype=np.float64) for case in solved] for name in upstream}


def median_ms(targets, terms, step, repeats: int) -> tuple[float, str]:
    times, found = [], None
    for _ in range(repeats):
        began = time.perf_counter()
        found = explain.search(targets, terms, step.rtol, step.atol)
        times.append(time.perf_counter() - began)
    return statistics.median(times) * 1000, found.expression if found else "none"


def main() -> None:
    repeats = int(sys.argv[1]) if len(sys.argv) > 1 else 50
    quiz = load("gradient_descent")
    cases = quiz.cases(None, 20261126)
    rng = np.random.default_rng(1)
    for name, targets_of in (
        ("error", {"one term (h)": lambda q: q["h"],
                   "y + nn_output": lambda q: [y + o for y, o in zip(q["y"], q["nn_output"])],
                   "nothing explains it": lambda q: [rng.normal(size=np.shape(y)) for y in q["y"]]}),
        ("del_w", {"one term (x)": lambda q: q["x"],
                   "learnrate * error * x": lambda q: [a * b * c for a, b, c in
                                                       zip(q["learnrate"], q["error"], q["x"])],
                   "nothing explains it": lambda q: [rng.normal(size=np.shape(x)) for x in q["x"]]}),
    ):
        step = quiz.step(name)
        values = quantities(quiz, cases, quiz.variables.index(name))
        terms = explain.terms(values, {}, {}, quiz.functions, 1 if name == "del_w" else 0)
        print(f"{name}: {len(terms)} terms")
        for label, make in targets_of.items():
            elapsed, found = median_ms(make(values), terms, step, repeats)
            print(f"  {label:<28} {elapsed:7.2f} ms   found: {found}")

    reference = Reference(quiz, cases)
    step = quiz.step("error_term")
    for label, wrong in (("brackets dropped", lambda s: s["error"] * s["nn_output"] * 1 - s["nn_output"]),
                         ("nothing near it", lambda s: np.sin(s["error"]) * 3.7)):
        runs = []
        for solved in reference.upstream:
            values = {**solved, "error_term": wrong(solved)}
            runs.append(CaseRun({name: numeric(values[name]) for name in quiz.variables}))
        times, found = [], None
        for _ in range(repeats):
            context = Context(reference, runs, Facts())
            began = time.perf_counter()
            found = diagnose._nearby(context, step, list(range(len(cases))), [  # noqa: SLF001 - what is measured
                np.asarray(run.values["error_term"].values).reshape(run.values["error_term"].shape) for run in runs])
            times.append(time.perf_counter() - began)
        print(f"nearby, error_term: {label:<20} {statistics.median(times) * 1000:7.2f} ms   found: "
              f"{found.expression if found else 'none'}")


def numeric(value) -> Numeric:  # noqa: ANN001 - an array or a number
    array = np.asarray(value, dtype=np.float64)
    return Numeric(kind="numeric", type="ndarray", shape=list(array.shape), values=array.ravel().tolist())


if __name__ == "__main__":
    main()
