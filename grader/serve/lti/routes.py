"""The tool's LTI endpoints: ``/lti/login`` (OIDC third-party login), ``/lti/launch``, ``/lti/pick``
(Deep Linking's answer) and ``/lti/jwks``.

A launch ends in the quiz page's own session (the cookie the page already reads), set
``SameSite=None; Secure`` so the browser sends it inside the LMS's iframe, and naming the launch, so
the session's Submits are graded back to its line item. Every refusal is a page that says why, with
the status it deserves, and a line in the log.
"""

from __future__ import annotations

import asyncio
import logging
import secrets
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from urllib.parse import parse_qs, urlencode

from fastapi import APIRouter, HTTPException, Request
from fastapi.responses import JSONResponse, RedirectResponse, Response
from pydantic import BaseModel, Field

from grader.quiz import Quiz
from grader.serve import identity
from grader.serve.admission import Full, Rate
from grader.serve.identity import Peer, Session, Sessions
from grader.serve.lti import pages
from grader.serve.lti.config import LtiConfig, Platform
from grader.serve.lti.keys import ToolKey
from grader.serve.lti.states import SHAPE, States
from grader.serve.lti.verify import DEEP_LINKING_REQUEST, LTI, KeySets, Refused, quoted, verify
from grader.serve.store import Store, StoreUnavailable
from grader.serve.store.lti import Launch

log = logging.getLogger("gdgrade.lti")


class Sent(BaseModel):
    """A score for the LMS: when the student earned it, and whether (when) the LMS took it."""

    user: str
    score: float
    max_score: float
    at: datetime
    sent: datetime | None = Field(description="when the LMS took it; None while it waits")
    tries: int
    problem: str | None = Field(description="why the last try failed, while it waits")


LOGIN_MINUTES = 10
"""How long a login may take to come back as a launch."""
STATE_COOKIE = "gdgrade_lti_login"
"""The states of the browser's last few logins, so two launches in two tabs do not overwrite each
other's; one cookie, so another site making a browser begin many logins cannot fill its cookie jar."""
STATES_KEPT = 4
LOGINS_PER_SECOND, LOGIN_BURST = 2.0, 120
"""Logins per address: a whole lab behind one address launching at once, not a flood. A login
costs a signature and writes nothing, so this only keeps one client from taking the server's time."""
FORM_FIELDS = 8


@dataclass(frozen=True)
class Host:
    """What the LTI endpoints use of the quiz page's server."""

    quizzes: Mapping[str, Quiz]
    sessions: Sessions
    set_session: Callable[[Response, Session, Peer], None]
    """The page's own session cookie (a launched session's is the LMS frame's, and an instructor's
    lasts as the launch's role does)."""
    peer: Callable[[Request], Peer]
    session_of: Callable[[Request], Session | None]
    frame_ancestors: str


def begun_here(request: Request, sender: Peer) -> list[str]:
    """The states of the logins this browser began (its state cookie, which only this host can set),
    oldest first."""
    kept = request.cookies.get(identity.cookie(STATE_COOKIE, sender, secure=True).name, "").split(".")
    return kept[-STATES_KEPT:] if all(SHAPE.fullmatch(one) for one in kept) else []


def router(config: LtiConfig, store: Store, key: ToolKey, keys: KeySets, host: Host) -> APIRouter:
    endpoints = _Endpoints(config, store, key, keys, host)
    lti = APIRouter(prefix="/lti", include_in_schema=False)
    lti.api_route("/login", methods=["GET", "POST"])(endpoints.login)
    lti.post("/launch")(endpoints.launch)
    lti.post("/pick")(endpoints.pick)
    lti.get("/grades", response_model=list[Sent])(endpoints.grades)
    lti.get("/jwks")(endpoints.jwks)
    return lti


class _Endpoints:
    """The LTI endpoints of one server, and what they share: the configuration, the store's LTI
    records, the tool's key, the platforms' key sets, the quiz page's server, the logins' rate."""

    def __init__(self, config: LtiConfig, store: Store, key: ToolKey, keys: KeySets, host: Host) -> None:
        self.config, self.records, self.key, self.keys, self.host = config, store.lti, key, keys, host
        self.logins = Rate(LOGINS_PER_SECOND, burst=LOGIN_BURST, longest_wait=0)
        self.states = States(host.sessions.secret)

    def refuse(self, request: Request, problem: Refused | StoreUnavailable | ValueError) -> Response:
        """The page for a request not taken, and its line in the log: a store that is down is a 503; a
        ValueError, a request that does not parse."""
        if isinstance(problem, StoreUnavailable):
            problem = Refused(str(problem).rstrip("."), 503)
        elif not isinstance(problem, Refused):
            problem = Refused(f"the request to {request.url.path} is malformed")
        log.warning("LTI refused %s from %s: %s", request.url.path, self.host.peer(request).address, problem)
        return pages.refusal(str(problem), problem.status, self.host.frame_ancestors)

    async def form(self, request: Request) -> dict[str, str]:
        """The request's fields (query string and, for a POST, its urlencoded body), one value each."""
        fields = {name: values[0] for name, values in
                  parse_qs(request.url.query, max_num_fields=FORM_FIELDS).items()}
        if request.method == "POST":
            body = (await request.body()).decode("utf-8", "replace")
            fields.update({name: values[0] for name, values in parse_qs(body, max_num_fields=FORM_FIELDS).items()})
        return fields

    @staticmethod
    def remember(response: Response, states: list[str], sender: Peer) -> None:
        """The browser's state cookie: the logins it began and has not finished. The LMS's iframe sends it
        back, so it is SameSite=None, which needs Secure (browsers take Secure cookies on http://localhost
        and 127.0.0.1 too, for a test)."""
        kept = identity.cookie(STATE_COOKIE, sender, secure=True)
        if states:
            response.set_cookie(kept.name, ".".join(states), max_age=LOGIN_MINUTES * 60, path=kept.path,
                                httponly=True, samesite="none", secure=True)
        else:
            response.delete_cookie(kept.name, path=kept.path, secure=True, httponly=True, samesite="none")

    async def login(self, request: Request) -> Response:
        """Third-party initiated login: check the platform, remember a state and nonce, send the browser
        to the platform's authorization endpoint."""
        try:
            self.logins.wait(self.host.peer(request).address)
            fields = await self.form(request)
        except Full:
            return self.refuse(request, Refused("too many launches from this address: open the activity again in a "
                                                "minute", 429))
        except ValueError as problem:
            return self.refuse(request, problem)
        try:
            platform, hint = self._registered(fields)
        except Refused as problem:
            return self.refuse(request, problem)
        state, nonce = self.states.new(platform.issuer, time.time())
        parameters = {"scope": "openid", "response_type": "id_token", "response_mode": "form_post",
                      "prompt": "none", "client_id": platform.client_id,
                      "redirect_uri": self.config.address("lti/launch"), "login_hint": hint, "state": state,
                      "nonce": nonce}
        if "lti_message_hint" in fields:
            parameters["lti_message_hint"] = fields["lti_message_hint"]
        separator = "&" if "?" in platform.auth_login_url else "?"
        response = RedirectResponse(platform.auth_login_url + separator + urlencode(parameters), status_code=302)
        sender = self.host.peer(request)
        self.remember(response, [*begun_here(request, sender), state][-STATES_KEPT:], sender)
        return response

    def _registered(self, fields: dict[str, str]) -> tuple[Platform, str]:
        """The platform a login comes from, and the user it hints at; Refused when the tool is not
        registered for it, or the login is not for this tool."""
        issuer, hint = fields.get("iss", ""), fields.get("login_hint")
        platform = self.config.platform(issuer, fields.get("client_id"))
        if platform is None:
            client = f" with client id {quoted(fields['client_id'])}" if "client_id" in fields else ""
            raise Refused(f"this tool is not registered for the platform {quoted(issuer)}{client}", 403)
        if not hint:
            raise Refused("the login request names no user (login_hint)")
        deployment = fields.get("lti_deployment_id")
        if deployment is not None and deployment not in platform.deployment_ids:
            raise Refused(f"the launch comes from a deployment of the tool ({quoted(deployment)}) that is not "
                          "registered here: ask the LMS admin to add it to the tool's configuration", 403)
        target = fields.get("target_link_uri", "")
        if not target.startswith(self.config.url.rstrip("/") + "/"):
            raise Refused(f"the launch is for {quoted(target)}, not this tool ({self.config.url})")
        return platform, hint

    async def launch(self, request: Request) -> Response:
        """The platform's id_token, checked in full; then the quiz page (or, for Deep Linking, the picker)
        in a session of the launch's user and role."""
        try:
            fields = await self.form(request)
            state, id_token = fields.get("state", ""), fields.get("id_token", "")
            if not state or not id_token:
                raise Refused("the launch carries no id_token and state: start it from the course")
            if state not in begun_here(request, self.host.peer(request)):
                raise Refused("this browser did not begin this launch (its login cookie is missing: a launch "
                              "replayed, or a browser that blocks the LMS's cookies: open the activity in a new "
                              "window)", 401)
            now = datetime.now(UTC)
            begun = self.states.read(state)
            issuer = next((one.issuer for one in self.config.platforms
                           if begun is not None and self.states.for_issuer(begun, one.issuer)), None)
            if begun is None or issuer is None or not 0 <= now.timestamp() - begun.issued <= LOGIN_MINUTES * 60:
                raise Refused("this launch's login expired (or its platform is no longer registered): launch the "
                              "activity again", 401)
            claims = await verify(id_token, self.config, self.keys, issuer, begun.nonce)
            if not await asyncio.to_thread(self.records.take_state, state, issuer, begun.nonce, now,
                                           timedelta(minutes=LOGIN_MINUTES)):
                raise Refused("this launch was used already: launch the activity again", 401)
            if claims.message_type == DEEP_LINKING_REQUEST and claims.identity.role != "instructor":
                raise Refused("only the course's instructors choose a quiz for an activity", 403)
            if claims.message_type != DEEP_LINKING_REQUEST and claims.quiz not in self.host.quizzes:
                raise Refused(f"this activity asks for the quiz {claims.quiz!r}, which this server does not serve "
                              f"(it serves {', '.join(self.host.quizzes)}): set the activity's custom parameter "
                              "quiz=NAME" if claims.quiz else "this activity names no quiz: set its custom "
                              "parameter quiz=NAME, or add it again and choose one", 404)
            record = Launch(id=secrets.token_urlsafe(18), user=claims.identity.user, issuer=claims.platform.issuer,
                            client_id=claims.platform.client_id, deployment_id=claims.deployment_id,
                            subject=claims.subject, quiz=claims.quiz, lineitem=claims.lineitem,
                            return_url=claims.return_url, data=claims.data)
            kept = await asyncio.to_thread(self.records.add_launch, record, now)
        except (Refused, StoreUnavailable, ValueError) as problem:
            return self.refuse(request, problem)
        session = self.host.sessions.new(claims.identity, launch=kept)
        log.info("LTI launch of %s (%s) from %s, quiz %s", claims.identity.user, claims.identity.role, issuer,
                 claims.quiz)
        if claims.message_type == DEEP_LINKING_REQUEST:
            response: Response = pages.picker([(name, quiz.title) for name, quiz in self.host.quizzes.items()],
                                              session.csrf, self.host.frame_ancestors)
        else:
            response = RedirectResponse(f"../?{urlencode({'quiz': claims.quiz})}", status_code=303)
        sender = self.host.peer(request)
        self.host.set_session(response, session, sender)
        self.remember(response, [one for one in begun_here(request, sender) if one != state], sender)
        return response

    async def pick(self, request: Request) -> Response:
        """The instructor's choice from the picker, posted back to the platform as a Deep Linking
        response: a resource link to the quiz, with its quiz parameter and a line item for its grade."""
        try:
            fields = await self.form(request)
            session = self.host.session_of(request)
            if session is None or session.launch is None or not identity.same_token(fields.get("csrf"),
                                                                                    session.csrf):
                raise Refused("this choice did not come from the picker the course opened: add the activity again",
                              403)
            if session.identity.role != "instructor":
                raise Refused("only the course's instructors choose a quiz for an activity", 403)
            chosen = self.host.quizzes.get(fields.get("quiz", ""))
            if chosen is None:
                raise Refused(f"this server serves no quiz {fields.get('quiz')!r}", 404)
            begun = await asyncio.to_thread(self.records.launch, session.launch)
            if begun is None or begun.return_url is None:
                raise Refused("this session was not opened to choose a quiz: add the activity again", 403)
        except (Refused, StoreUnavailable, ValueError) as problem:
            return self.refuse(request, problem)
        item = {"type": "ltiResourceLink", "title": chosen.title, "url": self.config.address("lti/launch"),
                "custom": {"quiz": chosen.name},
                "lineItem": {"scoreMaximum": sum(step.weight for step in chosen.steps), "label": chosen.title,
                             "resourceId": chosen.name}}
        claims: dict[str, object] = {
            "iss": begun.client_id, "aud": begun.issuer, "nonce": secrets.token_urlsafe(18),
            LTI + "deployment_id": begun.deployment_id, LTI + "message_type": "LtiDeepLinkingResponse",
            LTI + "version": "1.3.0", "https://purl.imsglobal.org/spec/lti-dl/claim/content_items": [item]}
        if begun.data is not None:
            claims["https://purl.imsglobal.org/spec/lti-dl/claim/data"] = begun.data
        log.info("LTI deep link: %s chose %s for %s", session.identity.user, chosen.name, begun.issuer)
        return pages.post_back(begun.return_url, self.key.sign(claims), self.host.frame_ancestors)

    async def grades(self, request: Request) -> list[Sent]:
        """For the activity's instructors: each score owed to the LMS column of their launch, sent or
        waiting (and why it waits)."""
        session = self.host.session_of(request)
        if session is None or session.identity.role != "instructor" or session.launch is None:
            raise HTTPException(403, "this is for the instructors of an activity: launch it from the LMS")
        begun = await asyncio.to_thread(self.records.launch, session.launch)
        if begun is None or begun.activity is None:
            return []
        rows = await asyncio.to_thread(self.records.outbox, None, begun.activity)
        return [Sent(user=row.user, score=row.score, max_score=row.max_score, at=row.at, sent=row.sent,
                     tries=row.tries, problem=row.problem) for row in rows]

    async def jwks(self) -> JSONResponse:
        """The tool's public key: what platforms check its signatures with."""
        return JSONResponse({"keys": [self.key.jwk]}, headers={"Cache-Control": "public, max-age=300"})
