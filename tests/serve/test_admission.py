"""What the server lets in (grader/serve/admission.py): fair turns at the grader, so no client owns the
queue and each student has one attempt at a time; and a per-client rate."""

from __future__ import annotations

import asyncio

import pytest

from grader.serve.admission import Full, Rate, Turns


def run(coroutine):
    return asyncio.run(coroutine)


def test_a_client_with_many_attempts_waits_behind_everyone_elses_next():
    async def scenario() -> list[str]:
        turns, order = Turns(slots=1, capacity=100), []
        gate = asyncio.Event()

        async def attempt(key: str, student: str) -> None:
            async with turns.turn(key, student):
                order.append(student)
                await gate.wait()

        first = asyncio.create_task(attempt("hostile", "h0"))  # holds the one slot
        await asyncio.sleep(0)
        tasks = [asyncio.create_task(attempt("hostile", f"h{n}")) for n in range(1, 6)]
        await asyncio.sleep(0)
        tasks += [asyncio.create_task(attempt(f"honest{n}", f"s{n}")) for n in range(3)]
        await asyncio.sleep(0)
        gate.set()
        await asyncio.gather(first, *tasks)
        return order

    order = run(scenario())
    assert order[:5] == ["h0", "h1", "s0", "s1", "s2"]  # each honest key's turn came before the flood's rest
    assert sorted(order) == sorted(["h0", "h1", "h2", "h3", "h4", "h5", "s0", "s1", "s2"])


def test_one_attempt_per_student_and_a_bounded_wait():
    async def scenario() -> None:
        turns = Turns(slots=1, capacity=2, seconds_each=0.6)
        gate = asyncio.Event()

        async def attempt(key: str, student: str) -> None:
            async with turns.turn(key, student):
                await gate.wait()

        holding = asyncio.create_task(attempt("a", "ana"))
        await asyncio.sleep(0)
        with pytest.raises(Full) as twice:
            async with turns.turn("a", "ana"):
                pass
        assert twice.value.status == 429 and "still being graded" in str(twice.value)
        waiting = asyncio.create_task(attempt("b", "bo"))
        await asyncio.sleep(0)
        assert turns.inside == 2
        with pytest.raises(Full) as full:
            async with turns.turn("c", "cy"):
                pass
        assert (full.value.status, full.value.retry_after) == (503, 2)
        gate.set()
        await asyncio.gather(holding, waiting)
        assert turns.inside == 0 and turns.busy == 0 and not turns.students

    run(scenario())


def test_stopping_answers_every_waiting_attempt_at_once():
    async def scenario() -> list[object]:
        turns = Turns(slots=1, capacity=10)
        gate = asyncio.Event()

        async def attempt(key: str) -> str:
            async with turns.turn(key, key):
                await gate.wait()
                return "graded"

        tasks = [asyncio.create_task(attempt(f"k{n}")) for n in range(4)]
        await asyncio.sleep(0)
        turns.stop()
        gate.set()
        outcomes = await asyncio.gather(*tasks, return_exceptions=True)
        with pytest.raises(Full):
            async with turns.turn("late", "late"):
                pass
        return outcomes

    outcomes = run(scenario())
    assert outcomes[0] == "graded"  # the one being graded finishes
    assert all(isinstance(o, Full) and o.status == 503 and "stopping" in str(o) for o in outcomes[1:])


def test_a_client_that_leaves_while_waiting_gives_its_place_back():
    async def scenario() -> Turns:
        turns = Turns(slots=1, capacity=10)
        gate = asyncio.Event()

        async def attempt(key: str) -> None:
            async with turns.turn(key, key):
                await gate.wait()

        holder = asyncio.create_task(attempt("a"))
        await asyncio.sleep(0)
        gone = asyncio.create_task(attempt("b"))
        await asyncio.sleep(0)
        gone.cancel()
        await asyncio.gather(gone, return_exceptions=True)
        gate.set()
        await holder
        async with turns.turn("c", "c"):
            assert turns.busy == 1
        return turns

    turns = run(scenario())
    assert turns.busy == 0 and not turns.waiting and not turns.students


def test_an_attempt_a_stop_catches_is_answered_503_once_its_grace_is_over():
    async def scenario() -> tuple[object, object]:
        turns = Turns(slots=2, capacity=10)
        endless: asyncio.Future[str] = asyncio.get_running_loop().create_future()
        quick: asyncio.Future[str] = asyncio.get_running_loop().create_future()
        caught = asyncio.create_task(turns.unless_stopping(endless, grace=0.05))
        finishing = asyncio.create_task(turns.unless_stopping(quick, grace=60))
        await asyncio.sleep(0)
        turns.stop()
        await asyncio.sleep(0)
        quick.set_result("graded")  # within its grace: answered as graded
        outcomes = await asyncio.gather(caught, finishing, return_exceptions=True)
        return outcomes[0], outcomes[1]

    caught, finished = run(scenario())
    assert isinstance(caught, Full) and caught.status == 503 and "stopped before your attempt" in str(caught)
    assert finished == "graded"


def test_rate_limit_rules():
    rate = Rate(per_second=2, burst=3, longest_wait=1.0)
    assert [rate.wait("a", now=10.0) for _ in range(3)] == [0.0, 0.0, 0.0]  # the burst goes at once
    assert rate.wait("a", now=10.0) == pytest.approx(0.5)  # then one every half second: slowed
    assert rate.wait("b", now=10.0) == 0.0  # another client is not
    assert rate.wait("a", now=10.0) == pytest.approx(1.0)
    with pytest.raises(Full) as flooded:
        rate.wait("a", now=10.0)
    assert flooded.value.status == 429
    assert rate.wait("a", now=20.0) == 0.0  # after a rest it is full again
    assert Rate(per_second=0).wait("a") == 0.0
