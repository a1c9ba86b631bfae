"""What an LMS admin is given: gdgrade lti config's paste-ready settings, and one clear line for a
configuration that cannot work."""

from __future__ import annotations

import json

import pytest

from grader.serve.lti import load
from tests.test_cli import gdgrade as run

GOOD = {"url": "https://quiz.example.edu/quiz", "platforms": [{
    "issuer": "https://canvas.instructure.com", "client_id": "10000000000001", "deployment_ids": ["1:abc"],
    "auth_login_url": "https://sso.canvaslms.com/api/lti/authorize_redirect",
    "token_url": "https://sso.canvaslms.com/login/oauth2/token",
    "jwks_url": "https://sso.canvaslms.com/api/lti/security/jwks",
    "frame_origins": ["https://school.instructure.com"]}]}


def test_lti_config_prints_canvas_json_and_moodle_fields():
    result = run("lti", "config", "--url", "https://quiz.example.edu/quiz/", "--title", "NN quizzes")
    assert result.returncode == 0, result.stderr
    canvas = json.loads(result.stdout[result.stdout.index("{"):result.stdout.index("\n}\n") + 2])
    assert canvas["oidc_initiation_url"] == "https://quiz.example.edu/quiz/lti/login"
    assert canvas["target_link_uri"] == "https://quiz.example.edu/quiz/lti/launch"
    assert canvas["public_jwk_url"] == "https://quiz.example.edu/quiz/lti/jwks"
    assert canvas["scopes"] == ["https://purl.imsglobal.org/spec/lti-ags/scope/score"]
    assert canvas["title"] == "NN quizzes" and canvas["extensions"][0]["domain"] == "quiz.example.edu"
    assert {place["message_type"] for place in canvas["extensions"][0]["settings"]["placements"]} == {
        "LtiDeepLinkingRequest"}
    assert "Redirect URIs: https://quiz.example.edu/quiz/lti/launch" in result.stdout
    for field in ("Initiate login URL                                https://quiz.example.edu/quiz/lti/login",
                  "Public key type                                   Keyset URL",
                  "Services > IMS LTI Assignment and Grade Services  Use this service for grade sync only"):
        assert field in result.stdout
    template = result.stdout[result.stdout.index("url: https://quiz.example.edu/quiz\n"):]
    import yaml

    assert [platform["name"] for platform in yaml.safe_load(template)["platforms"]] == ["Canvas", "Moodle"]


def test_the_printed_template_is_a_configuration_serve_takes(tmp_path):
    result = run("lti", "config", "--url", "https://quiz.example.edu/quiz")
    path = tmp_path / "lti.yaml"
    path.write_text(result.stdout[result.stdout.index("url: "):])
    config = load(path)
    assert config.platform("https://canvas.instructure.com", "10000000000001").origins == (
        "https://yourschool.instructure.com",)
    assert config.platform("https://moodle.example.edu", None).origins == ("https://moodle.example.edu",)


@pytest.mark.parametrize(("change", "words"), [
    ({"url": "http://quiz.example.edu"}, "url: Value error, 'http://quiz.example.edu': LTI needs https"),
    ({"platforms": []}, "platforms: Tuple should have at least 1 item"),
    ({"platforms": [{**GOOD["platforms"][0], "deployment_ids": []}]},
     "platforms.0.deployment_ids: Tuple should have at least 1 item"),
    ({"platforms": [{**GOOD["platforms"][0], "jwks": "x"}]}, "platforms.0.jwks: Extra inputs are not permitted"),
])
def test_a_configuration_that_cannot_work_is_one_line(tmp_path, change, words):
    path = tmp_path / "lti.json"
    path.write_text(json.dumps({**GOOD, **change}))
    result = run("serve", "--lti-config", path, "--db", tmp_path / "db.sqlite", "--port", "0")
    assert result.returncode == 2 and words in result.stderr and len(result.stderr.splitlines()) == 1, result.stderr


@pytest.mark.parametrize(("arguments", "words"), [
    (["--user-header", "X-User"], "--lti-config and --user-header each say who the students are"),
    (["--db", "none"], "an LTI tool keeps its launches"),
])
def test_lti_with_what_cannot_go_with_it_is_a_usage_error(tmp_path, arguments, words):
    path = tmp_path / "lti.json"
    path.write_text(json.dumps(GOOD))
    result = run("serve", "--lti-config", path, "--port", "0", *arguments)
    assert result.returncode == 2 and words in result.stderr and "Traceback" not in result.stderr, result.stderr
    assert run("lti", "config").returncode == 2
    assert "not YAML" in run("serve", "--lti-config", __file__, "--port", "0").stderr


def test_the_readmes_configuration_is_one_serve_takes(tmp_path):
    from tests.conftest import ROOT

    section = (ROOT / "README.md").read_text().split("## In the LMS: LTI 1.3", 1)[1]
    path = tmp_path / "lti.yaml"
    path.write_text(section.split("```yaml\n", 1)[1].split("```", 1)[0])
    config = load(path)
    assert [platform.name for platform in config.platforms] == ["Canvas", "Moodle"]
    printed = run("lti", "config", "--lti-config", path).stdout
    assert '"oidc_initiation_url": "https://quiz.example.edu/quiz/lti/login"' in printed
