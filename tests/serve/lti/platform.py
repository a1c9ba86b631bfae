"""An LTI 1.3 platform we did not write, on loopback, as the LMS of the tests: OpenLearning's
``lti1p3platform`` does the platform's side of the protocol (OIDC login initiation, the signed launch
message, Deep Linking's request and the check of the tool's answer, the OAuth 2 token for the
tool's client assertion, checked against the tool's ``/lti/jwks``, and the check of that token on
each score). This module only puts it on HTTP (uvicorn in a thread) with a gradebook that keeps
every Score it is sent, and can be taken down, made to fail with 500, or made slow."""

from __future__ import annotations

import asyncio
import contextlib
import html
import json
import secrets
import socket
import threading
import time
from dataclasses import dataclass, field
from typing import Any, Literal
from urllib.parse import parse_qs

import uvicorn
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from fastapi import FastAPI, Request
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse, Response
from lti1p3platform.ltiplatform import LTI1P3PlatformConfAbstract
from lti1p3platform.message_launch import LTIAdvantageMessageLaunchAbstract
from lti1p3platform.oidc_login import OIDCLoginAbstract
from lti1p3platform.registration import Registration

CLIENT_ID = "gdgrade-tool"
DEPLOYMENT_ID = "deployment-1"
SCORE_SCOPE = "https://purl.imsglobal.org/spec/lti-ags/scope/score"
LEARNER = "http://purl.imsglobal.org/vocab/lis/v2/membership#Learner"
INSTRUCTOR = "http://purl.imsglobal.org/vocab/lis/v2/membership#Instructor"
Mode = Literal["up", "error", "slow"]


def rsa_pem() -> str:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    return key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                             serialization.NoEncryption()).decode()


def public_pem(private: str) -> str:
    key = serialization.load_pem_private_key(private.encode(), password=None)
    return key.public_key().public_bytes(serialization.Encoding.PEM,
                                         serialization.PublicFormat.SubjectPublicKeyInfo).decode()


class Conf(LTI1P3PlatformConfAbstract):
    def init_platform_config(self, **kwargs: Any) -> None:
        self._registration = kwargs["registration"]

    def get_registration_by_params(self, **kwargs: Any) -> Registration:
        return self._registration


class Login(OIDCLoginAbstract):
    def set_lti_message_hint(self, **kwargs: Any) -> None:
        self._lti_message_hint = kwargs["hint"]

    def get_redirect(self, url: str) -> Response:
        return RedirectResponse(url, status_code=302)


class Launch(LTIAdvantageMessageLaunchAbstract):
    def get_preflight_response(self) -> dict[str, Any]:
        return dict(self._request.query_params)

    def render_launch_form(self, launch_data: dict[str, Any], **kwargs: Any) -> Response:
        return HTMLResponse(
            f'<!doctype html><form method="post" action="{html.escape(launch_data["launch_url"])}" id="form">'
            f'<input type="hidden" name="id_token" value="{html.escape(launch_data["id_token"])}">'
            f'<input type="hidden" name="state" value="{html.escape(launch_data["state"])}"></form>'
            '<script>document.getElementById("form").submit();</script>')


@dataclass
class Link:
    """A resource link in the course: the activity a launch is for, with its custom parameters."""

    title: str
    custom: dict[str, str]


@dataclass
class Pending:
    user: str
    role: str
    link: str | None
    deep: bool


@dataclass
class Platform:
    """The LMS: ``issuer`` (http://localhost:PORT, another site than the tool's 127.0.0.1)."""

    tool_url: str
    mode: Mode = "up"
    slow_seconds: float = 3.0
    links: dict[str, Link] = field(default_factory=dict)
    scores: list[tuple[str, dict[str, Any]]] = field(default_factory=list)
    """Every Score taken, in order: (line item, the Score)."""
    refused: list[str] = field(default_factory=list)
    """What the platform refused, and why."""
    key: str = field(default_factory=rsa_pem)
    port: int = 0
    _server: uvicorn.Server | None = None
    _thread: threading.Thread | None = None
    _pending: dict[str, Pending] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    @property
    def issuer(self) -> str:
        return f"http://localhost:{self.port}"

    def registration(self) -> Registration:
        tool = self.tool_url.rstrip("/")
        return (Registration().set_iss(self.issuer).set_client_id(CLIENT_ID).set_deployment_id(DEPLOYMENT_ID)
                .set_launch_url(f"{tool}/lti/launch").set_deeplink_launch_url(f"{tool}/lti/launch")
                .set_oidc_login_url(f"{tool}/lti/login").set_tool_key_set_url(f"{tool}/lti/jwks")
                .set_platform_public_key(public_pem(self.key)).set_platform_private_key(self.key))

    def conf(self) -> Conf:
        return Conf(registration=self.registration())

    def config(self, **changes: Any) -> dict[str, Any]:
        """The tool's ``--lti-config`` registration of this platform."""
        return {"name": "lti1p3platform", "issuer": self.issuer, "client_id": CLIENT_ID,
                "deployment_ids": [DEPLOYMENT_ID], "auth_login_url": f"{self.issuer}/authorize",
                "token_url": f"{self.issuer}/token", "jwks_url": f"{self.issuer}/jwks", **changes}

    def grades(self, lineitem: str) -> dict[str, dict[str, Any]]:
        """The gradebook column: each user's Score with the latest timestamp."""
        latest: dict[str, dict[str, Any]] = {}
        for item, score in list(self.scores):
            if item == lineitem and (score["userId"] not in latest
                                     or score["timestamp"] >= latest[score["userId"]]["timestamp"]):
                latest[score["userId"]] = score
        return latest

    def lineitem(self, link: str) -> str:
        return f"{self.issuer}/lineitems/{link}"

    def app(self) -> FastAPI:
        """The platform's endpoints, as an LMS answers them."""
        app = FastAPI()
        app.get("/launch")(self._launch)
        app.get("/favicon.ico")(self._icon)
        app.get("/course")(self._course)
        app.get("/authorize")(self._authorize)
        app.get("/jwks")(self._jwks)
        app.post("/token")(self._token)
        app.post("/lineitems/{link}/scores")(self._score)
        app.post("/deep-link-return")(self._deep_link_return)
        return app

    async def _launch(self, user: str, role: str = "Learner", link: str | None = None, deep: bool = False) -> Response:
        """What clicking the activity does: the OIDC login initiation, to the tool."""
        hint = secrets.token_urlsafe(8)
        self._pending[hint] = Pending(user, INSTRUCTOR if role == "Instructor" else LEARNER, link, deep)
        login = Login(None, self.conf())
        login.set_lti_message_hint(hint=hint)
        if deep:
            login.set_deeplinking_launch_url()
        return login.initiate_login(user)

    async def _icon(self) -> Response:
        return Response(status_code=204)

    async def _course(self, request: Request) -> HTMLResponse:
        """The course page, framing the launch as an LMS does."""
        return HTMLResponse(f'<!doctype html><h1>Course</h1><iframe id="tool" style="width:1100px;height:1400px" '
                            f'src="/launch?{html.escape(request.url.query)}"></iframe>')

    async def _authorize(self, request: Request) -> Response:
        """The platform's authorization endpoint: the signed launch, posted to the tool."""
        query = request.query_params
        pending = self._pending.get(query.get("lti_message_hint", ""))
        tool = self.tool_url.rstrip("/")
        if pending is None or query.get("redirect_uri") != f"{tool}/lti/launch" or \
                query.get("login_hint") != pending.user:
            self.refused.append(f"authorize: {dict(query)}")
            return Response("unknown login", status_code=400)
        message = Launch(request, self.conf())
        message.set_user_data(pending.user, [pending.role], full_name=f"{pending.user.title()} Example")
        message.set_launch_context_claim("course-1", context_title="Neural networks")
        if pending.deep:
            message.set_dl(f"{self.issuer}/deep-link-return", title="Add a quiz", accept_types={"ltiResourceLink"})
        else:
            link = self.links[pending.link or ""]
            message.set_resource_link_claim(pending.link or "", title=link.title)
            message.set_custom_parameters_claim(link.custom)
            message.set_ags(f"{self.issuer}/lineitems", self.lineitem(pending.link or ""),
                            allow_creating_lineitems=False)
        return message.lti_launch()

    async def _jwks(self) -> JSONResponse:
        conf = self.conf()
        conf.get_registration()
        return JSONResponse(conf.get_jwks())

    async def _token(self, request: Request) -> Response:
        form = {name: values[0] for name, values in parse_qs((await request.body()).decode()).items()}
        try:
            granted = await asyncio.to_thread(self._grant, form)
        except Exception as problem:  # lti1p3platform's refusals are of several kinds
            self.refused.append(f"token: {problem!r}")
            return JSONResponse({"error": "invalid_client"}, status_code=401)
        return JSONResponse(granted)

    async def _score(self, link: str, request: Request) -> Response:
        if self.mode == "error":
            return Response("the gradebook is down for maintenance", status_code=500)
        if self.mode == "slow":
            await asyncio.sleep(self.slow_seconds)
        bearer = request.headers.get("authorization", "").removeprefix("Bearer ")
        try:
            allowed = self.conf().validate_token(bearer, allowed_scopes=[SCORE_SCOPE])
        except Exception as problem:
            allowed = False
            self.refused.append(f"score token: {problem!r}")
        if not allowed:
            return Response("invalid token", status_code=401)
        if request.headers.get("content-type") != "application/vnd.ims.lis.v1.score+json":
            return Response("not a Score", status_code=415)
        with self._lock:
            self.scores.append((self.lineitem(link), json.loads(await request.body())))
        return Response(status_code=204)

    async def _deep_link_return(self, request: Request) -> Response:
        form = {name: values[0] for name, values in parse_qs((await request.body()).decode()).items()}
        try:
            items = self.conf().validate_deeplinking_resp({"JWT": form.get("JWT", "")})
        except Exception as problem:
            self.refused.append(f"deep link: {problem!r}")
            return Response("refused", status_code=400)
        added = []
        for item in items:
            link = f"link-{len(self.links) + 1}"
            self.links[link] = Link(item.get("title", ""), item.get("custom", {}))
            added.append(f'<li class="added" data-link="{link}">{html.escape(item.get("title", ""))}</li>')
        return HTMLResponse(f"<!doctype html><h1>Added to the course</h1><ul>{''.join(added)}</ul>")

    def _grant(self, form: dict[str, str]) -> dict[str, Any]:
        conf = self.conf()
        conf.get_registration()
        return dict(conf.get_access_token(form))

    def start(self) -> Platform:
        """Serve on loopback (the same port again after ``stop``, as an LMS coming back would)."""
        listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        listener.bind(("127.0.0.1", self.port))
        self.port = listener.getsockname()[1]
        self._server = uvicorn.Server(uvicorn.Config(self.app(), log_level="warning", lifespan="off"))
        self._thread = threading.Thread(target=self._server.run, kwargs={"sockets": [listener]}, daemon=True)
        self._thread.start()
        deadline = time.monotonic() + 60
        while not self._server.started:
            assert self._thread.is_alive() and time.monotonic() < deadline, "the test platform did not start"
            time.sleep(0.05)
        return self

    def stop(self) -> None:
        """Down: its port refuses connections."""
        if self._server is not None and self._thread is not None:
            self._server.should_exit = True
            self._thread.join(timeout=60)
            self._server = self._thread = None

    @contextlib.contextmanager
    def down(self):
        self.stop()
        try:
            yield
        finally:
            self.start()
