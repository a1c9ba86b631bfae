"""The platforms (LMSs) this tool trusts, as an LMS admin registers them: ``--lti-config FILE``.

One YAML or JSON file: the tool's public address, and per platform what its admin screen shows
after the tool is added (issuer, client id, deployment ids and its three URLs). A launch from a
platform, client or deployment not listed here is refused.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated
from urllib.parse import urlsplit

import yaml
from pydantic import AfterValidator, BaseModel, ConfigDict, Field, ValidationError

from grader.errors import UserError


class ConfigError(UserError):
    """An ``--lti-config`` file that cannot be used; the message says what is wrong, in one line."""


def web_address(value: str) -> str:
    """``value`` if it is an https address (http only on this machine); ValueError otherwise."""
    parts = urlsplit(value)
    if parts.scheme not in ("https", "http") or not parts.netloc or parts.fragment:
        raise ValueError(f"{value!r} is not an http(s) address")
    if parts.scheme == "http" and parts.hostname not in ("localhost", "127.0.0.1", "::1"):
        raise ValueError(f"{value!r}: LTI needs https (plain http only on this machine, for a test)")
    return value


Web = Annotated[str, AfterValidator(web_address)]


def origin_of(value: str) -> str:
    """``scheme://host[:port]`` of an address, lower case: what two addresses must share to be one site's."""
    parts = urlsplit(value)
    return f"{parts.scheme.lower()}://{parts.netloc.lower()}"


def origin(value: str) -> str:
    """``value`` if it is an origin (an http(s) address without a path); ValueError otherwise."""
    web_address(value)
    if urlsplit(value).path not in ("", "/") or urlsplit(value).query:
        raise ValueError(f"{value!r} is not an origin (scheme://host[:port], no path)")
    return origin_of(value)


Origin = Annotated[str, AfterValidator(origin)]


class Platform(BaseModel):
    """One registration of this tool in an LMS."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    name: str = Field(default="", description="what the README and the logs call it (Canvas, Moodle, ...)")
    issuer: str = Field(min_length=1, description="the platform's iss: https://canvas.instructure.com, Moodle's "
                                                  "wwwroot, ...")
    client_id: str = Field(min_length=1, description="the client id the LMS gave the tool")
    deployment_ids: tuple[str, ...] = Field(min_length=1, description="the deployments of the tool the LMS made")
    auth_login_url: Web = Field(description="the platform's OIDC authorization endpoint")
    token_url: Web = Field(description="the platform's OAuth 2 token endpoint (for grade passback)")
    jwks_url: Web = Field(description="the platform's public keys")
    frame_origins: tuple[Origin, ...] = Field(
        default=(), description="origins the LMS is opened at, whose pages may frame the quiz and whose line items "
                                "and return URLs the tool sends to [default: the issuer's and the auth URL's]; "
                                "Canvas: your school's address, https://yourschool.instructure.com")
    @property
    def origins(self) -> tuple[str, ...]:
        """Where the platform's pages come from: what ``frame-ancestors`` allows."""
        if self.frame_origins:
            return self.frame_origins
        found = []
        for address in (self.issuer, self.auth_login_url):
            parts = urlsplit(address)
            if parts.scheme in ("http", "https") and parts.netloc:
                found.append(f"{parts.scheme}://{parts.netloc}")
        return tuple(dict.fromkeys(found))


    def serves(self, address: str) -> bool:
        """Whether the platform may ask the tool to send to ``address`` (a line item, a return URL): an
        http(s) address at one of the platform's registered addresses or ``frame_origins``. Anything
        else would let a launch aim the tool's requests (and the platform's token) at any host the tool
        can reach."""
        try:
            web_address(address)
        except ValueError:
            return False
        allowed = {origin_of(one) for one in (self.issuer, self.auth_login_url, self.token_url, self.jwks_url,
                                               *self.frame_origins)}
        return origin_of(address) in allowed and not urlsplit(address).username


class LtiConfig(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    url: Web = Field(description="the tool's public address, as students' browsers reach it (the proxy's, "
                                 "with its path prefix): https://quiz.example.edu/quiz")
    title: str = Field(default="gdgrade quiz", description="what the LMS shows the tool as")
    platforms: tuple[Platform, ...] = Field(min_length=1)

    def address(self, path: str) -> str:
        """The tool's public address of ``path`` (``lti/launch``, ...)."""
        return f"{self.url.rstrip('/')}/{path}"

    def platform(self, issuer: str, client_id: str | None) -> Platform | None:
        """The registration for ``issuer`` (and ``client_id``, when the platform names it)."""
        for platform in self.platforms:
            if platform.issuer == issuer and (client_id is None or platform.client_id == client_id):
                return platform
        return None


def load(path: Path) -> LtiConfig:
    """The file's configuration; ConfigError with one line that says what is wrong."""
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    except OSError as problem:
        raise ConfigError(f"cannot read {path}: {problem.strerror}") from None
    except (yaml.YAMLError, UnicodeDecodeError) as problem:
        raise ConfigError(f"{path} is not YAML or JSON: {str(problem).splitlines()[0]}") from None
    try:
        return LtiConfig.model_validate(raw)
    except ValidationError as problem:
        first = problem.errors()[0]
        where = ".".join(map(str, first["loc"])) or "the file"
        raise ConfigError(f"{path}: {where}: {first['msg']}") from None
