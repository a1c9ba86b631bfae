"""examples/kubernetes/serve.yaml: valid YAML whose Deployment runs a gdgrade serve command line
gdgrade accepts, probes routes the app answers, and takes the database URL from a Secret as the
variable --db reads."""

from __future__ import annotations

import yaml
from fastapi.testclient import TestClient

from grader.cli import serve as serve_command
from grader.grade import Settings
from grader.serve.app import Options, create_app
from tests.conftest import ROOT, SEED

EXAMPLE = ROOT / "examples" / "kubernetes" / "serve.yaml"


def manifest() -> dict[str, dict]:
    documents = list(yaml.safe_load_all(EXAMPLE.read_text()))
    assert [document["kind"] for document in documents] == ["Deployment", "Service"]
    return {document["kind"]: document for document in documents}


def test_the_deployment_runs_two_replicas_of_a_command_gdgrade_accepts():
    deployment = manifest()["Deployment"]
    assert deployment["spec"]["replicas"] == 2
    labels = deployment["spec"]["template"]["metadata"]["labels"]
    assert deployment["spec"]["selector"]["matchLabels"] == labels == manifest()["Service"]["spec"]["selector"]
    [container] = deployment["spec"]["template"]["spec"]["containers"]
    assert container["command"] == ["gdgrade", "serve"]
    parsed = serve_command.make_context("serve", list(container["args"])).params  # a bad option would raise here
    assert (parsed["host"], parsed["port"], parsed["user_header"]) == ("0.0.0.0", 8000, "X-Remote-User")
    [port] = container["ports"]
    assert port["containerPort"] == parsed["port"]
    assert manifest()["Service"]["spec"]["ports"][0]["targetPort"] == port["name"]
    grace = deployment["spec"]["template"]["spec"]["terminationGracePeriodSeconds"]
    assert grace > parsed["stop_timeout"]  # a stop finishes what is being graded before the pod is killed


def test_the_database_url_comes_from_a_secret_as_the_variable_db_reads():
    [container] = manifest()["Deployment"]["spec"]["template"]["spec"]["containers"]
    env = {variable["name"]: variable for variable in container["env"]}
    [db] = [option for option in serve_command.params if option.name == "db"]
    assert db.envvar == "GDGRADE_DB"
    assert set(env["GDGRADE_DB"]["valueFrom"]["secretKeyRef"]) == {"name", "key"}
    assert "value" not in env["GDGRADE_DB"]  # never written into the manifest itself


def test_the_probes_ask_routes_the_app_answers(quiz):
    [container] = manifest()["Deployment"]["spec"]["template"]["spec"]["containers"]
    probes = {kind: container[kind]["httpGet"] for kind in ("livenessProbe", "readinessProbe")}
    assert {probe["port"] for probe in probes.values()} == {container["ports"][0]["name"]}
    assert (probes["livenessProbe"]["path"], probes["readinessProbe"]["path"]) == ("/healthz", "/readyz")
    app = create_app(quiz, Settings(seed=SEED, timeout=5), Options(jobs=1, seed=SEED))
    with TestClient(app) as client:  # the lifespan runs: the grader's sandbox is up
        for kind, probe in probes.items():
            answer = client.get(probe["path"])
            assert answer.status_code == 200, (kind, answer.text)
