"""The worker that empties the outbox: every score reaches its LMS, in order, however long it is down.

Started with the server. A few senders claim due rows one at a time (``LtiRecords.claim``: the oldest
of a student and line item, leased), send each, and mark it sent; a failure (the LMS down, slow past
the timeout, a 5xx, any answer but a 2xx) puts the row back with a later due time, doubling up to a
ceiling. Nothing is dropped: a row stays until an LMS took it. A score sent again after a crash
carries its first timestamp, so the LMS keeps one grade.
"""

from __future__ import annotations

import asyncio
import collections
import contextlib
import logging
import random
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

from grader.serve.lti.ags import Scores, Undelivered
from grader.serve.store import StoreUnavailable
from grader.serve.store.lti import LtiRecords, Outgoing

log = logging.getLogger("gdgrade.lti")
LEASE = timedelta(minutes=3)
"""How long a claimed row is the claimer's: a send ends well before (``Outbox.limit``), so no other
sender or replica claims a row while it is being sent."""


class Outbox:
    def __init__(self, records: LtiRecords, scores: Scores, first: float = 1.0, most: float = 300.0,
                 senders: int = 4, idle: float = 5.0):
        self.records, self.scores = records, scores
        self.limit = LEASE.total_seconds() / 2
        """Seconds one send may take, waiting for a token included, before it counts as failed."""
        self.first, self.most, self.senders, self.idle = first, most, senders, idle
        self._wake = asyncio.Event()
        self._tasks: list[asyncio.Task[None]] = []
        self._sending: collections.Counter[str] = collections.Counter()
        """Platform (issuer) -> how many of this replica's senders are sending to it now."""

    def start(self) -> None:
        self._tasks = [asyncio.create_task(self._send_all()) for _ in range(self.senders)]

    def poke(self) -> None:
        """A new row is in: send it now, not at the next idle check."""
        self._wake.set()

    async def stop(self) -> None:
        for task in self._tasks:
            task.cancel()
        for task in self._tasks:
            with contextlib.suppress(asyncio.CancelledError):
                await task
        await self.scores.close()

    def busy(self) -> frozenset[str]:
        """Platforms that half of the senders are sending to already: the others take other platforms'
        scores first, so one slow LMS holds up only its own."""
        most = max(1, self.senders // 2)
        return frozenset(issuer for issuer, sending in self._sending.items() if sending >= most)

    def delay(self, tries: int) -> float:
        """Seconds before try ``tries + 1``: doubling from ``first`` up to ``most``, a little spread so
        that rows failed together do not all come back at once."""
        doublings = min(max(0, tries - 1), 60)  # past 60 the ceiling holds anyway; 2 ** 1024 is no float
        return min(self.first * 2.0 ** doublings, self.most) * random.uniform(0.8, 1.0)

    async def _send_all(self) -> None:
        while True:
            try:
                row = await asyncio.to_thread(self.records.claim, datetime.now(UTC), LEASE, self.busy())
            except StoreUnavailable as problem:
                log.warning("LTI outbox: %s (%s)", problem, problem.detail)
                row = None
            if row is None:
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._wake.wait(), self.idle)
                self._wake.clear()
                continue
            self._sending[row.issuer] += 1
            try:
                await self._send(row)
            except Exception:  # noqa: BLE001 - a sender that ends sends nothing more, for any platform
                log.exception("LTI outbox: sending score %d failed in gdgrade itself; its lease will run out "
                              "and it is tried again", row.id)
            finally:
                self._sending[row.issuer] -= 1

    async def _send(self, row: Outgoing) -> None:
        try:
            async with asyncio.timeout(self.limit):
                await self.scores.send(row)
        except (Undelivered, TimeoutError) as problem:
            wait, why = self.delay(row.tries), str(problem) or f"not sent within {self.limit:.0f} s"
            log.warning("LTI score %d for %s not delivered (try %d, next in %.0f s): %s", row.id, row.user,
                        row.tries, wait, why)
            await self._settle(self.records.retry, row.id, datetime.now(UTC) + timedelta(seconds=wait), why)
        except asyncio.CancelledError:  # stopping: the row is due again at once, for this replica or another
            with contextlib.suppress(StoreUnavailable):
                self.records.retry(row.id, datetime.now(UTC), "the server stopped while sending")
            raise
        except Exception as problem:  # noqa: BLE001 - whatever one row or one LMS answer does, the senders go on
            wait = self.delay(row.tries)
            log.exception("LTI score %d for %s could not be sent (try %d, next in %.0f s)", row.id, row.user,
                          row.tries, wait)
            await self._settle(self.records.retry, row.id, datetime.now(UTC) + timedelta(seconds=wait),
                               f"gdgrade failed sending it: {type(problem).__name__}: {problem}")
        else:
            log.info("LTI score %d for %s delivered: %s/%s", row.id, row.user, row.score, row.max_score)
            await self._settle(self.records.sent, row.id, datetime.now(UTC))

    async def _settle(self, mark: Callable[..., object], *arguments: object) -> None:
        """Write how a send went; a store that is down leaves the lease to run out (sent again, harmlessly)."""
        try:
            await asyncio.to_thread(mark, *arguments)
        except StoreUnavailable as problem:
            log.warning("LTI outbox: %s (%s)", problem, problem.detail)
