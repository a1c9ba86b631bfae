"""The quiz page's server: one runner pool, a JSON API, and the page's own files.

FastAPI is used for what it does well and we would otherwise write: request validation and the
OpenAPI description from the same pydantic models the reports use. The grader is started with the
server (``lifespan``) and every request queues for it: ``run`` and ``check`` grade the file exactly
as ``gdgrade check`` does (hidden cases included), in the same sandbox, and answer with what a
student may see (``report.for_students``). The page is static: ``static/`` holds its HTML, script
and style, and it asks ``/api/quiz`` for the rest.
"""

from __future__ import annotations

import asyncio
import contextlib
import hmac
import secrets
from collections.abc import AsyncIterator
from dataclasses import dataclass
from importlib.resources import files
from pathlib import Path
from typing import Annotated, Literal

from fastapi import FastAPI, Header, HTTPException, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import FileResponse, JSONResponse, Response
from fastapi.staticfiles import StaticFiles
from pydantic import BaseModel, Field

from grader import intake, text
from grader.feedback import Level
from grader.grade import Grader, Settings
from grader.quiz import Quiz
from grader.report import Report, Status, StudentError, for_students
from grader.serve.admission import BodyCap, Full, Queue, Rate
from grader.serve.record import Recorder

ShowSolution = Literal["after-pass", "always", "never"]
BUSY: dict[int | str, dict[str, object]] = {
    413: {"description": "the request is larger than 2 MiB"},
    429: {"description": "this client asks too often: see Retry-After"},
    503: {"description": "the grader's queue is full: see Retry-After"},
}
MAX_BODY = 2 << 20
"""Bytes of one request: a source file is at most 1 MiB, its JSON encoding at most about twice that."""
STATIC = files("grader.serve").joinpath("static")
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


class Source(BaseModel):
    source: str = Field(max_length=intake.MAX_SOURCE_BYTES, description="the file's text")


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


@dataclass(frozen=True)
class InMemory:
    """A submission's bytes as the page sent them."""

    data: bytes

    def read(self, limit: int) -> bytes:
        if len(self.data) > limit:
            raise OSError(f"the file is larger than {limit} bytes")
        return self.data


@dataclass
class Options:
    """How the server runs (``gdgrade serve``'s options)."""

    jobs: int = 1
    show_solution: ShowSolution = "after-pass"
    record: Path | None = None
    rate: float = 2.0
    """Requests per second each client may make on average (0: no limit)."""
    queue: int | None = None
    """Requests graded or waiting at once [default: 32 per job: a class pressing Submit together waits]."""
    feedback: Level = "full"
    """How much the page's feedback gives away (``--feedback``, ``grader.feedback``)."""


def _public_status(report: Report) -> Status:
    """How the public run ended: a failure in a hidden case alone is not the test run's."""
    public_failed = (report.error is not None and report.error.case == "public") or any(
        check.cases and check.cases[0].failure == "not_run" for check in report.checks)
    return report.status if public_failed or report.status in HIDDEN_STATUSES else Status.COMPLETED


def create_app(quiz: Quiz, settings: Settings, options: Options | None = None) -> FastAPI:
    """The server for ``quiz``: start it with an ASGI server (``gdgrade serve`` uses uvicorn)."""
    options = options or Options()
    queue = Queue(options.queue or 32 * max(1, options.jobs))
    rate = Rate(options.rate)
    recorder = Recorder(options.record, quiz.filename) if options.record else None
    state: dict[str, object] = {}
    solution_token = secrets.token_urlsafe(24)

    @contextlib.asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        grader = Grader(quiz, settings, options.jobs)
        try:
            solved = await asyncio.to_thread(_grade_now, grader, quiz.solution_source, quiz)
            state["grader"], state["expected"] = grader, solved.stdout
            yield
        finally:
            grader.close()

    app = FastAPI(title="gdgrade", summary=f"The quiz page of {quiz.title}", lifespan=lifespan, docs_url=None,
                  redoc_url=None, openapi_url="/api/openapi.json")

    app.state.queue = queue  # for tests and monitoring: how many requests are inside
    app.add_middleware(BodyCap, limit=MAX_BODY)

    @app.middleware("http")
    async def secure(request: Request, call_next):  # noqa: ANN001, ANN202 - FastAPI's middleware signature
        response = await call_next(request)
        response.headers.update(HEADERS)
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

    async def grade(request: Request, source: str) -> Report:
        client = request.client.host if request.client else "unknown"
        delay = rate.wait(client)
        if delay:
            await asyncio.sleep(delay)
        queue.enter()
        try:
            grader: Grader = state["grader"]  # type: ignore[assignment]
            submission = intake.Submission("page", Path(quiz.filename), origin=InMemory(
                source.encode("utf-8", "surrogatepass")))
            ticket = await asyncio.to_thread(grader.submit, submission)
            if ticket.answer is not None:
                await asyncio.wrap_future(ticket.answer)
            return await asyncio.to_thread(grader.report, ticket)
        finally:
            queue.leave()

    @app.get("/", include_in_schema=False)
    async def page() -> FileResponse:
        return FileResponse(str(STATIC.joinpath("index.html")), media_type="text/html")

    app.mount("/static", StaticFiles(directory=str(STATIC)), name="static")

    @app.get("/api/quiz", response_model=QuizPage)
    async def about() -> QuizPage:
        """The quiz: its instructions, the public inputs, the expected printout and the starter file."""
        return QuizPage(
            name=quiz.name, title=quiz.title, filename=quiz.filename, instructions=quiz.instructions,
            inputs=[Input(name=name, value=text.printable(repr(value) if not hasattr(value, "tolist") else
                                                          repr(value.tolist())))
                    for name, value in quiz.public_inputs.items()],
            expected_output=str(state.get("expected", "")), starter=quiz.starter_source,
            variables=list(quiz.variables), show_solution=options.show_solution,
            solution=quiz.solution_source if options.show_solution == "always" else None)

    @app.post("/api/run", response_model=RunAnswer, responses=BUSY)
    async def run(request: Request, body: Source) -> RunAnswer:
        """Run the file on the public inputs: its printout, and its traceback if it failed there."""
        report = for_students(await grade(request, body.source))
        error = report.error if report.error is not None and report.error.case == "public" else None
        return RunAnswer(status=_public_status(report), stdout=report.stdout, stderr=report.stderr,
                         output_truncated=report.output_truncated, error=error)

    @app.post("/api/check", response_model=Report, responses=BUSY)
    async def check(request: Request, body: Source) -> Response:
        """Grade the file as ``gdgrade check`` does: the same report, hidden cases described, not shown.
        With full marks (and the solution shown after a pass) the answer's ``X-Gdgrade-Solution``
        header holds the key to ``/api/solution``."""
        report = for_students(await grade(request, body.source))
        if recorder is not None:
            await asyncio.to_thread(recorder.keep, body.source, report)
        key = report.full_marks and options.show_solution == "after-pass"
        # the report is a validated model already: written once, not validated and converted again
        return Response(report.model_dump_json(), media_type="application/json",
                        headers={"X-Gdgrade-Solution": solution_token} if key else None)

    @app.get("/api/solution", responses={403: {"description": "not (yet) for this student"}})
    async def solution(key: Annotated[str | None, Header(alias="X-Gdgrade-Solution")] = None) -> dict[str, str]:
        """The reference solution: always, after full marks (with the key ``check`` gave), or never."""
        allowed = options.show_solution == "always" or (
            options.show_solution == "after-pass" and key is not None and hmac.compare_digest(key, solution_token))
        if not allowed:
            raise HTTPException(403, "the solution is shown once the file gets full marks"
                                if options.show_solution == "after-pass" else "the solution is not shown here")
        return {"source": quiz.solution_source}

    return app


def _grade_now(grader: Grader, source: str, quiz: Quiz) -> Report:
    return next(grader.grade([intake.Submission("solution", Path(quiz.filename),
                                                origin=InMemory(source.encode()))]))
