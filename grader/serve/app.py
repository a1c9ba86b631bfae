"""The quiz page's server: one runner pool, a JSON API, and the page's own files.

FastAPI is used for what it does well and we would otherwise write: request validation and the
OpenAPI description from the same pydantic models the reports use. The grader is started with the
server (``lifespan``). Every attempt (a Test run or a Submit) is graded exactly as ``gdgrade check``
grades a file, in the same sandbox, on hidden cases drawn for that attempt alone; it is kept in the
attempt store before its answer leaves, and answered with what a student may see
(``audience.student``'s view). The page is static: ``static/`` holds its HTML, script and style, with
relative addresses, so it works under any path prefix a proxy gives it.
"""


import asyncio
import contextlib
import dataclasses
import datetime
import logging
import random
import secrets
import shutil
import tempfile
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from importlib.resources import files
from pathlib import Path
from typing import Annotated, Literal

from fastapi import Depends, FastAPI, Header, HTTPException, Query, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import FileResponse, JSONResponse, Response
from fastapi.staticfiles import StaticFiles
from pydantic import BaseModel, Field
from starlette.background import BackgroundTask

from grader import intake, report_json, text
from grader.audience import INSTRUCTOR, student
from grader.feedback import Level
from grader.formats.summary import Summary, Tally
from grader.grade import Grader, Settings
from grader.quiz import Quiz
from grader.report import Report, Status, StudentError
from grader.serve import export, identity
from grader.serve.admission import BodyCap, Full, Rate, Turns
from grader.serve.identity import CSRF_HEADER, Identity, Peer, Session, Sessions
from grader.serve.lti import Host, Lti
from grader.serve.store import Attempt, Store, StoreUnavailable, Which

ShowSolution = Literal["after-pass", "always", "never"]
logger = logging.getLogger("gdgrade.serve")
BUSY: dict[int | str, dict[str, object]] = {
    403: {"description": "no session, or the request did not come from the page"},
    413: {"description": "the file is larger than the page takes"},
    429: {"description": "this student asks too often, has an attempt being graded, or used the day's quota"},
    503: {"description": "the grader's queue is full, the server is stopping, or the attempt could not be saved"},
}
STATIC = files("grader.serve").joinpath("static")
SESSION_COOKIE = "gdgrade_session"
HEADERS = {
    "Content-Security-Policy": ("default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; "
                                "img-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'"),
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
}
"""On every answer: the page runs only its own script, and nothing a student wrote can act as code."""
HIDDEN_STATUSES = frozenset({Status.SYNTAX_ERROR, Status.UNREADABLE, Status.SANDBOX_ERROR, Status.GRADER_ERROR,
                             Status.INVALID_RESULT, Status.OUTPUT_LIMIT, Status.NOTHING_GRADABLE})
"""Statuses that say how the public run went too (the others may come from a hidden case alone)."""
DAY = datetime.timedelta(days=1)
INSTRUCTOR_HOURS = 12
"""How long a sign-in with the instructor token lasts."""


class Source(BaseModel):
    source: str = Field(description="the file's text")


class RunAnswer(BaseModel):
    """A test run: the public case's printout and, if it failed there, the student's traceback."""

    status: Status = Field(description="how the public run ended")
    stdout: str
    stderr: str
    output_truncated: bool
    error: StudentError | None = Field(description="the exception the public case raised, if any")


class Input(BaseModel):
    name: str
    value: str = Field(description="as Python would print it")


class QuizPage(BaseModel):
    """What the page shows besides the editor."""

    name: str
    title: str
    filename: str
    instructions: str = Field(description="paragraphs between blank lines, '- ' lists, names in backticks")
    inputs: list[Input]
    expected_output: str = Field(description="what the reference solution prints on the public inputs")
    starter: str
    variables: list[str]
    show_solution: ShowSolution
    solution: str | None = Field(description="the reference solution, when it is always shown")
    max_source_bytes: int = Field(description="the largest file the page takes")


class Me(BaseModel):
    """Who the page is for, and the token its POSTs carry (``X-CSRF-Token``)."""

    name: str | None = Field(description="the student's name as the proxy or LMS gives it; None when anonymous")
    role: identity.Role
    csrf: str
    earned_solution: bool


class Login(BaseModel):
    token: str = Field(max_length=200)


class StudentRow(BaseModel):
    """One student in the instructor's live view."""

    user: str
    name: str | None
    attempts: int
    submits: int
    best: float | None
    last: float | None
    last_at: datetime.datetime | None
    mistakes: list[str] = Field(description="the last submit's wrong steps, each with its mistake when known")


class ClassView(BaseModel):
    quiz: str
    max_score: float
    students: list[StudentRow]
    summary: Summary = Field(description="the class page's figures, over each student's last submit")


@dataclass
class Options:
    """How the server runs (``gdgrade serve``'s options)."""

    jobs: int = 1
    show_solution: ShowSolution = "after-pass"
    store: Store | None = None
    """Where attempts are kept; None keeps none (a student's own machine, a benchmark)."""
    rate: float = 2.0
    """Requests per second each client may make on average (0: no limit)."""
    queue: int | None = None
    """Requests graded or waiting at once [default: 32 per job: a class pressing Submit together waits]."""
    max_source: int = 16 << 10
    """Bytes of the largest file the page takes: a quiz's file is a few KiB."""
    user_header: str | None = None
    """The header a trusted proxy names the student in; None: students are anonymous."""
    trusted_proxies: tuple[identity.Address, ...] = identity.LOOPBACK
    proxy_secret: str | None = None
    """When set, a trusted proxy's headers count only on requests that carry it (X-Gdgrade-Proxy)."""
    root_path: str = ""
    admin_token: str | None = None
    """Who types it on the class page is an instructor for the session."""
    quota_attempts: int = 500
    """Attempts one student may make a day (0: no limit)."""
    quota_bytes: int = 8 << 20
    """Bytes one student's attempts may take in the store a day, files and reports (0: no limit)."""
    session_days: int = 30
    new_sessions_per_hour: int = 60
    """Anonymous sessions one address may start an hour: each is a new student to the quotas."""
    seed: int | None = None
    """Seeds the draws of hidden cases (tests); None draws every attempt's seed from the system."""
    stop_timeout: float = 10.0
    """Seconds a stopping server still grades an attempt it began; then it answers 503."""
    lti: Lti | None = None
    """LTI 1.3: users come from launches by the registered platforms, Submits are graded back (needs a store)."""
    stoppers: list[Callable[[], None]] = field(default_factory=list)
    """Filled by ``create_app``: call each when the server begins to stop."""
    feedback: Level | None = None
    """How much the page's feedback gives away (``--feedback``, ``grader.feedback``); None: each quiz's own."""


def _public_status(report: Report) -> Status:
    """How the public run ended: a failure in a hidden case alone is not the test run's."""
    public_failed = (report.error is not None and report.error.case == "public") or any(
        check.cases and check.cases[0].failure == "not_run" for check in report.checks)
    return report.status if public_failed or report.status in HIDDEN_STATUSES else Status.COMPLETED


def _mistakes(report: Report) -> list[str]:
    return [f"{check.name}: {check.mistake}" if check.mistake else f"{check.name}: {check.outcome.value}"
            for check in report.checks if not check.passed]


@dataclass
class Served:
    """One quiz the server serves: its grader (a runner pool of its own) once started."""

    quiz: Quiz
    grader: Grader | None = None
    expected: str = ""
    """What the reference solution prints on the public inputs."""


class _Page:
    """What every route of one server shares: its quizzes and their graders, the store, sessions,
    turns and rates; and the dependencies that tell who asks and for which quiz."""

    def __init__(self, quizzes: Quiz | Sequence[Quiz], settings: Settings, options: Options) -> None:
        self.settings, self.options = settings, options
        self.served = {quiz.name: Served(quiz) for quiz in ([quizzes] if isinstance(quizzes, Quiz) else quizzes)}
        self.default = next(iter(self.served.values()))
        self.store = options.store
        self.turns = Turns(options.jobs, options.queue or 32 * max(1, options.jobs))
        self.rate = Rate(options.rate)
        self.logins = Rate(10 / 60, burst=10, longest_wait=0)
        """Instructor sign-in tries per address: ten at once, then one every six seconds."""
        self.starts = Rate(options.new_sessions_per_hour / 3600, burst=options.new_sessions_per_hour,
                           longest_wait=0)
        self.sessions = Sessions(self.store.secret("session") if self.store is not None else secrets.token_bytes(32),
                                 options.session_days * 86400)
        self.seeds = random.Random(options.seed) if options.seed is not None else random.SystemRandom()
        self.earned_here: set[tuple[str, str]] = set()
        """Who earned the solution, when no store keeps it."""
        options.stoppers.append(self.turns.stop)
        self.headers = dict(HEADERS)
        if options.lti is not None:  # the LMS's pages frame the quiz
            self.headers["Content-Security-Policy"] = self.headers["Content-Security-Policy"].replace(
                "frame-ancestors 'none'", f"frame-ancestors {options.lti.frame_ancestors()}")

    @contextlib.asynccontextmanager
    async def lifespan(self, app: FastAPI) -> AsyncIterator[None]:
        options = self.options
        try:
            for one in self.served.values():
                one.grader = Grader(one.quiz, self.settings, options.jobs)
                one.expected = (await asyncio.to_thread(_grade_now, one.grader, one.quiz)).stdout
            if options.lti is not None:
                options.lti.start()
            yield
        finally:
            self.turns.stop()
            if options.lti is not None:
                await options.lti.stop()
            for one in self.served.values():
                if one.grader is not None:
                    one.grader.close(abort=True)

    def chosen(self, quiz: Annotated[str | None, Query(max_length=100, description="the quiz [default: the server's "
                                                                                   "first]")] = None) -> Served:
        if quiz is None:
            return self.default
        if quiz not in self.served:
            raise HTTPException(404, f"this server has no quiz {quiz!r}: it serves {', '.join(self.served)}")
        return self.served[quiz]

    def where(self, request: Request) -> Peer:
        options = self.options
        direct = request.client.host if request.client else ""
        first: dict[str, str] = {}
        for key, value in request.headers.items():  # a repeated header counts once, as everywhere here: the first
            first.setdefault(key, value)
        return identity.peer(direct, first, options.trusted_proxies, options.root_path, options.proxy_secret)

    def from_proxy(self, request: Request, sender: Peer) -> Identity:
        """The student the trusted proxy names, or a 403/401 that says why there is none."""
        if not sender.proxied:
            raise HTTPException(403, "this page takes its users from its proxy: open it through the proxy's address")
        named = identity.proxy_user(request.headers.get(self.options.user_header or ""))
        if named is None:
            raise HTTPException(401, f"the proxy did not say who you are (no usable {self.options.user_header} header)")
        return named

    def still_instructor(self, session: Session) -> bool:
        """Whether an instructor's role still holds: it was given not long ago, by the server's token
        (which the server still has) or by an LMS's launch."""
        if time.time() - session.issued > INSTRUCTOR_HOURS * 3600:
            return False
        if session.grant is None:
            return session.launch is not None
        token = self.options.admin_token
        return token is not None and identity.same_token(session.grant, identity.grant(token))

    def session_of(self, request: Request) -> Session | None:
        """The request's signed session, if it is still the user's (a proxy may name another now)."""
        sent = [value for name in identity.cookie_names(SESSION_COOKIE, self.where(request))
                for value in _cookies(request, name)]
        found = next(filter(None, map(self.sessions.open, sent)), None)
        if found is not None and self.options.user_header:
            named = self.from_proxy(request, self.where(request))
            if found.identity.user != named.user:
                return None
        if found is not None and found.identity.role == "instructor" and not self.still_instructor(found):
            # signed in with a token the server no longer has, or long ago: a student again
            found = dataclasses.replace(found, identity=dataclasses.replace(found.identity, role="student"), grant=None)
        return found

    def poster(self, request: Request, csrf: Annotated[str | None, Header(alias=CSRF_HEADER)] = None) -> Session:
        """A POST's session: signed, current, and sent by the page itself (its token in the header)."""
        found = self.session_of(request)
        if found is None:
            raise HTTPException(403, "no session: reload the page")
        if not identity.same_token(csrf, found.csrf):
            raise HTTPException(403, "this request did not come from the quiz page: reload the page")
        return found

    def instructor(self, request: Request) -> Session:
        found = self.session_of(request)
        if found is None or found.identity.role != "instructor":
            raise HTTPException(403, "this is for the class's instructors: sign in on the class page")
        return found

    def set_session(self, response: Response, session: Session, sender: Peer) -> None:
        """The session's cookie; one an LMS's launch began is sent inside the LMS's frame (SameSite=None,
        which needs Secure) and, for an instructor, lasts as the launch's role does."""
        framed = session.launch is not None
        lasts = INSTRUCTOR_HOURS * 3600 if framed and session.identity.role == "instructor" else self.sessions.max_age
        kept = identity.cookie(SESSION_COOKIE, sender, secure=framed or sender.secure)
        response.set_cookie(kept.name, self.sessions.seal(session), max_age=lasts, path=kept.path, httponly=True,
                            samesite="none" if framed else "strict", secure=kept.secure)

    async def earned(self, session: Session, quiz: Quiz) -> bool:
        """Whether the session has the solution when it is shown ``after-pass``: its user's Submit got full
        marks, or it signed in with the server's token. An LMS's instructor role does not count: any
        course gives it, even a sandbox course a student made."""
        if session.grant is not None:
            return True
        if self.store is None:
            return (session.identity.user, quiz.name) in self.earned_here
        return await asyncio.to_thread(self.store.earned, session.identity.user, quiz.name)

    async def within_quota(self, who: Identity, quiz: Quiz, size: int) -> None:
        options, store = self.options, self.store
        if store is None or not (options.quota_attempts or options.quota_bytes):
            return
        now = datetime.datetime.now(datetime.UTC)
        used = await asyncio.to_thread(store.usage, who.user, quiz.name, now - DAY)
        if options.quota_attempts and used.attempts >= options.quota_attempts:
            raise Full(3600, status=429, detail=f"you have made {used.attempts} attempts today, the most this page "
                                                "takes in a day")
        if options.quota_bytes and used.stored_bytes + size > options.quota_bytes:
            raise Full(3600, status=429, detail="your attempts today take as much room as this page keeps for one "
                                                "student a day")

    def shown(self, report: Report, one: Served) -> Report:
        """What a student may see of a report: hidden cases described, not shown; feedback at the level set."""
        return student(self.options.feedback or one.quiz.feedback).view(report)

    async def attempt(self, request: Request, session: Session, one: Served, body: Source,
                      kind: Literal["run", "submit"]) -> Report:
        """Grade one attempt fairly, keep it, and give back the whole report (the caller shows what a
        student may see)."""
        options, store = self.options, self.store
        quiz, grader = one.quiz, one.grader
        if grader is None:
            raise Full(5, detail="the grader is starting")
        raw = body.source.encode("utf-8", "surrogatepass")
        if len(raw) > options.max_source:
            raise HTTPException(413, f"your file is {len(raw)} bytes; the page takes files up to "
                                     f"{options.max_source} bytes")
        who = session.identity
        key = who.user if not who.anonymous else f"address:{self.where(request).address}"
        delay = self.rate.wait(key)
        if delay:
            await asyncio.sleep(delay)
        await self.within_quota(who, quiz, len(raw))
        passback = None  # where a Submit's score goes in the LMS, when the session began with a launch
        if options.lti is not None and store is not None and kind == "submit":
            passback = await asyncio.to_thread(options.lti.passback, store, session, quiz.name)
        async with self.turns.turn(key, who.user):
            submission = intake.Submission(who.user, Path(quiz.filename), origin=intake.InMemory(raw))
            seed = self.seeds.randrange(1 << 31)  # on the loop's thread: one generator, never two threads at once
            ticket = await asyncio.to_thread(lambda: grader.submit(submission, grader.draw(seed)))
            if ticket.answer is not None:
                await self.turns.unless_stopping(asyncio.wrap_future(ticket.answer), options.stop_timeout)
            report = await asyncio.to_thread(grader.report, ticket)
        if store is not None:
            await asyncio.to_thread(store.record, Attempt(
                user=who.user, name=who.name, quiz=quiz.name, kind=kind,
                at=datetime.datetime.now(datetime.UTC), source=body.source, report=report, launch=session.launch),
                passback)
            if options.lti is not None:
                options.lti.poke()
        elif kind == "submit" and report.full_marks:
            self.earned_here.add((who.user, quiz.name))
        return report


def create_app(quizzes: Quiz | Sequence[Quiz], settings: Settings, options: Options | None = None) -> FastAPI:
    """The server for ``quizzes`` (the first is the page's default; ``?quiz=NAME`` picks another):
    start it with an ASGI server (``gdgrade serve`` uses uvicorn)."""
    options = options or Options()
    if options.lti is not None and options.store is None:
        raise ValueError("LTI keeps its launches and the scores for the LMS in the store: give it one")
    page = _Page(quizzes, settings, options)
    titles = ", ".join(one.quiz.title for one in page.served.values())
    app = FastAPI(title="gdgrade", summary=f"The quiz page of {titles}", lifespan=page.lifespan, docs_url=None,
                  redoc_url=None, openapi_url="/api/openapi.json")
    app.state.turns = page.turns  # for tests and monitoring: how many requests are inside
    app.add_middleware(BodyCap, limit=4 * options.max_source + 4096)  # JSON may spell a byte in up to 6
    _answers(app, page.headers)
    _quiz_routes(app, page)
    _session_routes(app, page)
    _attempt_routes(app, page)
    _class_routes(app, page)
    if options.lti is not None and page.store is not None:
        options.lti.attach(app, page.store, Host(quizzes={name: one.quiz for name, one in page.served.items()},
                                                 sessions=page.sessions, set_session=page.set_session,
                                                 peer=page.where, session_of=page.session_of,
                                                 frame_ancestors=options.lti.frame_ancestors()))
    _health_routes(app, page)
    return app


def _answers(app: FastAPI, headers: dict[str, str]) -> None:
    """Every answer's security headers, and the errors said as the page reads them."""

    @app.middleware("http")
    async def secure(request: Request, call_next: Callable[[Request], Awaitable[Response]]) -> Response:
        response = await call_next(request)
        for name, value in headers.items():  # a page with its own policy (LTI's forms) keeps it
            response.headers.setdefault(name, value)
        if request.url.path.startswith("/api/"):
            response.headers["Cache-Control"] = "no-store"
        return response

    @app.exception_handler(RequestValidationError)
    async def not_a_source(request: Request, problem: RequestValidationError) -> JSONResponse:
        """Say what the API takes, without echoing the body back (FastAPI's default repeats it all)."""
        where = "; ".join(f"{'.'.join(map(str, error.get('loc', ())))}: {error.get('msg', '')}"
                          for error in problem.errors()[:3])
        return JSONResponse({"detail": f"send JSON {{\"source\": \"<the file's text>\"}} with Content-Type "
                                       f"application/json ({where})"}, status_code=422)

    @app.exception_handler(Full)
    async def busy(request: Request, problem: Full) -> JSONResponse:
        return JSONResponse({"detail": str(problem)}, status_code=problem.status,
                            headers={"Retry-After": str(problem.retry_after)})

    @app.exception_handler(StoreUnavailable)
    async def unsaved(request: Request, problem: StoreUnavailable) -> JSONResponse:
        logger.warning("the attempt store failed: %s", problem.detail or problem)  # the operator's word of it
        return JSONResponse({"detail": f"{problem} Your code is still here in the page: try again in a minute."},
                            status_code=503, headers={"Retry-After": "30"})


def _quiz_routes(app: FastAPI, page: _Page) -> None:
    """The page's own files, and the quiz it shows."""

    @app.get("/", include_in_schema=False, name="page")
    async def page_file() -> FileResponse:
        return FileResponse(str(STATIC.joinpath("index.html")), media_type="text/html")

    @app.get("/class", include_in_schema=False)
    async def class_page() -> FileResponse:
        return FileResponse(str(STATIC.joinpath("class.html")), media_type="text/html")

    app.mount("/static", StaticFiles(directory=str(STATIC)), name="static")

    @app.get("/api/quiz", response_model=QuizPage, responses={404: {"description": "no such quiz here"}})
    async def about(one: Annotated[Served, Depends(page.chosen)]) -> QuizPage:
        """The quiz: its instructions, the public inputs, the expected printout and the starter file."""
        quiz, options = one.quiz, page.options
        return QuizPage(
            name=quiz.name, title=quiz.title, filename=quiz.filename, instructions=quiz.instructions,
            inputs=[Input(name=name, value=text.printable(repr(value) if not hasattr(value, "tolist") else
                                                          repr(value.tolist())))
                    for name, value in quiz.public_inputs.items()],
            expected_output=one.expected, starter=quiz.starter_source,
            variables=list(quiz.variables), show_solution=options.show_solution,
            solution=quiz.solution_source if options.show_solution == "always" else None,
            max_source_bytes=options.max_source)


def _session_routes(app: FastAPI, page: _Page) -> None:
    """Who the page is for: a session started on the first visit, an instructor's sign-in and sign-out."""
    options, sessions = page.options, page.sessions

    @app.get("/api/me", response_model=Me, responses={401: {"description": "the proxy named nobody"},
                                                      403: {"description": "not reached through the proxy"},
                                                      429: {"description": "too many new sessions"}})
    async def me(request: Request, response: Response, one: Annotated[Served, Depends(page.chosen)]) -> Me:
        """Who the page is for: the session (started here, as the proxy or a fresh anonymous id says)."""
        sender = page.where(request)
        found = page.session_of(request)
        if found is None:
            if options.lti is not None:
                raise HTTPException(401, "open this quiz from your course in the LMS: it knows who you are")
            if options.user_header:
                found = sessions.new(page.from_proxy(request, sender))
            else:
                if page.starts.wait(f"address:{sender.address}"):
                    raise Full(60, status=429, detail="too many new sessions from this address")
                found = sessions.new(identity.anonymous())
            page.set_session(response, found, sender)
        return Me(name=found.identity.name, role=found.identity.role, csrf=found.csrf,
                  earned_solution=await page.earned(found, one.quiz))

    @app.post("/api/login", response_model=Me, responses={403: {"description": "not the instructors' token"}})
    async def login(request: Request, response: Response, body: Login,
                    session: Annotated[Session, Depends(page.poster)]) -> Me:
        """An instructor signs in with the server's `--admin-token`, sent as `{"token": "..."}`: the session
        is an instructor's for 12 hours, or until the server's token changes."""
        sender = page.where(request)
        if page.logins.wait(f"address:{sender.address}"):
            logger.warning("instructor sign-in refused: too many tries from %s", sender.address)
            raise Full(60, status=429, detail="too many sign-in tries from this address")
        if options.admin_token is None:
            raise HTTPException(403, "this server has no instructor token: start it with --admin-token "
                                     "(or GDGRADE_ADMIN_TOKEN)")
        if not identity.same_token(body.token, options.admin_token):
            logger.warning("instructor sign-in with a wrong token from %s", sender.address)
            raise HTTPException(403, "that is not this page's instructor token")
        promoted = sessions.new(Identity(session.identity.user, session.identity.name, "instructor"),
                                launch=session.launch, granted=identity.grant(options.admin_token))
        page.set_session(response, promoted, sender)
        return Me(name=promoted.identity.name, role="instructor", csrf=promoted.csrf, earned_solution=True)

    @app.post("/api/logout", response_model=Me)
    async def logout(request: Request, response: Response, session: Annotated[Session, Depends(page.poster)],
                     one: Annotated[Served, Depends(page.chosen)]) -> Me:
        """An instructor signs out: the session is a student's again (the same user)."""
        plain = sessions.new(Identity(session.identity.user, session.identity.name), launch=session.launch)
        page.set_session(response, plain, page.where(request))
        return Me(name=plain.identity.name, role="student", csrf=plain.csrf,
                  earned_solution=await page.earned(plain, one.quiz))


def _attempt_routes(app: FastAPI, page: _Page) -> None:
    """A Test run, a Submit, and the solution once earned."""
    options = page.options

    @app.post("/api/run", response_model=RunAnswer, responses=BUSY)
    async def run(request: Request, body: Source, session: Annotated[Session, Depends(page.poster)],
                  one: Annotated[Served, Depends(page.chosen)]) -> RunAnswer:
        """Run the file on the public inputs: its printout, and its traceback if it failed there."""
        report = page.shown(await page.attempt(request, session, one, body, "run"), one)
        error = report.error if report.error is not None and report.error.case == "public" else None
        return RunAnswer(status=_public_status(report), stdout=report.stdout, stderr=report.stderr,
                         output_truncated=report.output_truncated, error=error)

    @app.post("/api/check", response_model=Report, responses=BUSY)
    async def check(request: Request, body: Source, session: Annotated[Session, Depends(page.poster)],
                    one: Annotated[Served, Depends(page.chosen)]) -> Response:
        """Grade the file as `gdgrade check` does, on hidden cases drawn for this attempt alone: the
        same report, hidden cases described, not shown."""
        report = page.shown(await page.attempt(request, session, one, body, "submit"), one)
        # the report is a validated model already: written once, not validated and converted again
        return Response(report_json.dump(report), media_type="application/json")

    @app.get("/api/solution", responses={403: {"description": "not (yet) for this student"}})
    async def solution(request: Request, one: Annotated[Served, Depends(page.chosen)]) -> dict[str, str]:
        """The reference solution, as the server's `--show-solution` says: always, never, or once earned
        (a full-marks Submit, or an instructor's sign-in with the token)."""
        found = page.session_of(request)
        allowed = options.show_solution == "always" or (
            options.show_solution == "after-pass" and found is not None
            and await page.earned(found, one.quiz))
        if not allowed:
            raise HTTPException(403, "the solution is shown once a Submit gets full marks"
                                if options.show_solution == "after-pass" else "the solution is not shown here")
        return {"source": one.quiz.solution_source}


def _class_routes(app: FastAPI, page: _Page) -> None:
    """The instructors' view of the class, and its download."""
    store = page.store

    @app.get("/api/class", response_model=ClassView)
    async def class_view(session: Annotated[Session, Depends(page.instructor)],
                         one: Annotated[Served, Depends(page.chosen)]) -> ClassView:
        """The class as it stands: each student's attempts, best and last score and last mistakes, and
        the class page's figures over each student's last submit."""
        quiz = one.quiz
        rows = await asyncio.to_thread(store.students, quiz.name) if store is not None else []
        if session.grant is None and store is not None:  # an LMS's instructor: what was made in their activity
            launch = await asyncio.to_thread(store.lti.launch, session.launch) if session.launch else None
            activity = launch.activity if launch is not None else None
            rows = await asyncio.to_thread(store.students, quiz.name, activity) if activity else []
        tally = Tally(quiz)
        for row in rows:
            if row.last_report is not None:
                tally.add(INSTRUCTOR.view(row.last_report))
        return ClassView(quiz=quiz.name, max_score=sum(step.weight for step in quiz.steps), summary=tally.summary(),
                         students=[StudentRow(user=row.user, name=row.name, attempts=row.attempts,
                                              submits=row.submits, best=row.best_score, last=row.last_score,
                                              last_at=row.last_at,
                                              mistakes=_mistakes(row.last_report) if row.last_report else [])
                                   for row in rows])

    @app.get("/api/export.zip", response_class=FileResponse,
             responses={403: {"description": "not an instructor"}, 404: {"description": "nothing to export"}})
    async def export_zip(session: Annotated[Session, Depends(page.instructor)],
                         one: Annotated[Served, Depends(page.chosen)], which: Which = "best") -> FileResponse:
        """The class's submits as ``gdgrade export`` writes them (reports, pages, grades.csv, the class
        page), in one zip: each student's best submit, or their last."""
        if store is None:
            raise HTTPException(404, "this server keeps no attempts (--db none): there is nothing to export")
        if session.grant is None:  # every student the server has, whichever course: the server's instructors'
            raise HTTPException(403, "the download holds every student of the server: sign in on the class page "
                                     "with the server's instructor token (an LMS's grades are in its gradebook)")
        scratch = Path(tempfile.mkdtemp(prefix="export-"))
        target = scratch / f"{one.quiz.name}-{which}.zip"
        try:
            await asyncio.to_thread(export.archive, store, one.quiz, target, which)
        except export.NothingToExport as nothing:
            shutil.rmtree(scratch, ignore_errors=True)
            raise HTTPException(404, str(nothing)) from None
        except BaseException:
            shutil.rmtree(scratch, ignore_errors=True)
            raise
        return FileResponse(target, media_type="application/zip", filename=target.name,
                            background=BackgroundTask(shutil.rmtree, scratch, ignore_errors=True))


def _health_routes(app: FastAPI, page: _Page) -> None:
    """Liveness and readiness, for a load balancer or an orchestrator."""

    @app.get("/healthz", include_in_schema=False)
    async def alive() -> dict[str, str]:
        """Liveness: the process answers."""
        return {"status": "alive"}

    @app.get("/readyz", include_in_schema=False)
    async def ready() -> JSONResponse:
        """Readiness: the grader is up, the server is not stopping, and the store answers."""
        problem = ("starting" if any(one.grader is None for one in page.served.values())
                   else "stopping" if page.turns.stopping else None)
        if problem is None and page.store is not None:
            try:
                await asyncio.to_thread(page.store.ping)
            except StoreUnavailable as down:
                problem = str(down)
        return JSONResponse({"status": problem or "ready", "attempts_inside": page.turns.inside},
                            status_code=503 if problem else 200)


def _cookies(request: Request, name: str) -> list[str]:
    """Every value the browser sent for cookie ``name``: one host may run several servers (ports,
    path prefixes), each with its own cookie of that name, and only one of them is this server's."""
    values = []
    for part in request.headers.get("cookie", "").split(";"):
        key, _, value = part.strip().partition("=")
        if key == name:
            values.append(value.strip('"'))
    return values


def _grade_now(grader: Grader, quiz: Quiz) -> Report:
    return next(grader.grade([intake.Submission("solution", Path(quiz.filename),
                                                origin=intake.InMemory(quiz.solution_source.encode()))]))
