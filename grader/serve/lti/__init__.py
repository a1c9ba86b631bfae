"""The quiz page as an LTI 1.3 tool: launched from an LMS, its Submits graded back into it.

``Lti`` is what ``create_app`` is given (``Options.lti``): the registered platforms, the grade
policy, and the retry schedule of the outbox. With it, the server takes its users from launches
only, lets the platforms' pages frame it, serves ``/lti/...``, and runs the outbox worker.

Built on PyJWT (with cryptography) rather than pylti1p3: pylti1p3 has no FastAPI or asyncio
adapter and keeps the nonce and launch data in the web framework's per-process session and cache,
where a second replica cannot see them; here the nonce, the launch and the outbox live in the
store every replica shares, and the JWT checks are PyJWT's, well kept and small.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from fastapi import FastAPI

from grader.serve.identity import Session
from grader.serve.lti.ags import Scores
from grader.serve.lti.config import ConfigError, LtiConfig, Platform, load
from grader.serve.lti.keys import ToolKey
from grader.serve.lti.outbox import Outbox
from grader.serve.lti.routes import Host, router
from grader.serve.lti.verify import REFETCH_SECONDS, KeySets
from grader.serve.store import Store
from grader.serve.store.lti import Passback, Policy

__all__ = ["ConfigError", "Host", "Lti", "LtiConfig", "Platform", "Policy", "load"]


@dataclass
class Lti:
    config: LtiConfig
    grade: Policy = "best"
    """Which score each Submit sends: the student's best so far, or this one."""
    retry_first: float = 1.0
    """Seconds before the first retry of a score the LMS did not take; doubling from there."""
    retry_most: float = 300.0
    """The longest wait between tries."""
    key_refetch: float = REFETCH_SECONDS
    """Seconds between fetches of a platform's keys for a key id not seen: rotation is followed at once,
    while forged launches naming random key ids cannot make the tool hammer the platform."""
    _outbox: Outbox | None = field(default=None, init=False, repr=False)

    def frame_ancestors(self) -> str:
        """Who may frame the pages: this server and the registered platforms."""
        return " ".join(["'self'", *dict.fromkeys(origin for platform in self.config.platforms
                                                  for origin in platform.origins)])

    def attach(self, app: FastAPI, store: Store, host: Host) -> None:
        """Serve ``/lti/...`` on ``app``; the outbox starts with ``start``."""
        key = ToolKey.kept_in(store)
        app.include_router(router(self.config, store, key, KeySets(refetch=self.key_refetch), host))
        self._outbox = Outbox(store.lti, Scores(self.config, key), self.retry_first, self.retry_most)

    def start(self) -> None:
        if self._outbox is not None:
            self._outbox.start()

    async def stop(self) -> None:
        if self._outbox is not None:
            await self._outbox.stop()

    def passback(self, store: Store, session: Session, quiz: str) -> Passback | None:
        """Where a Submit of ``quiz`` in ``session`` is graded back to: its launch's line item, when the
        launch was for this quiz and came with one. Blocks."""
        if session.launch is None:
            return None
        launch = store.lti.launch(session.launch)
        if launch is None or launch.lineitem is None or launch.quiz != quiz or launch.user != session.identity.user:
            return None
        return Passback(issuer=launch.issuer, client_id=launch.client_id, lineitem=launch.lineitem,
                        subject=launch.subject, policy=self.grade)

    def poke(self) -> None:
        if self._outbox is not None:
            self._outbox.poke()
