"""The deployment files (deploy/): no container engine runs here, so they are checked
statically: each by its own validator (hadolint, the Compose specification's schema,
Kubernetes' OpenAPI schemas in strict mode, yamllint), then for what a reviewer would look
for (non-root image, one image for every Sinau process, probes, limits, known settings)."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
DEPLOY = ROOT / "deploy"
BIN = ROOT / ".venv" / "bin"
K8S_VERSION = "1.37.0"
MANIFESTS = sorted((DEPLOY / "k8s").rglob("*.yaml"))
SINAU_SERVICES = {"migrate", "web", "worker", "transcode", "beat"}
TMP = "/tmp"  # noqa: S108 - the containers' mount point, not a file this test writes


def run(*args: str | Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(a) for a in args], cwd=ROOT, capture_output=True, text=True, timeout=60, check=False
    )


def assert_passes(result: subprocess.CompletedProcess[str]) -> None:
    assert result.returncode == 0, f"{result.args}\n{result.stdout}\n{result.stderr}"


def compose() -> dict[str, Any]:
    return yaml.safe_load((DEPLOY / "compose.yaml").read_text())


def k8s_objects() -> list[dict[str, Any]]:
    return [doc for path in MANIFESTS for doc in yaml.safe_load_all(path.read_text()) if doc]


def of_kind(kind: str) -> dict[str, dict[str, Any]]:
    return {o["metadata"]["name"]: o for o in k8s_objects() if o["kind"] == kind}


def env_file_names(path: Path) -> set[str]:
    return {
        line.split("=", 1)[0]
        for line in path.read_text().splitlines()
        if "=" in line and not line.lstrip().startswith("#")
    }


def known_settings() -> set[str]:
    """Every variable Sinau reads: lms/settings.py, .env.example and gunicorn's settings."""
    settings = (ROOT / "lms" / "settings.py").read_text()
    gunicorn = (DEPLOY / "gunicorn.conf.py").read_text()
    return (
        set(re.findall(r'env\.\w+\(\s*"([A-Z][A-Z0-9_]*)"', settings))
        | env_file_names(ROOT / ".env.example")
        | set(re.findall(r'os\.environ\.get\("([A-Z][A-Z0-9_]*)"', gunicorn))
    )


# --- the validators ---------------------------------------------------------------------


def test_dockerfile_passes_hadolint() -> None:
    assert_passes(run(BIN / "hadolint", DEPLOY / "Dockerfile"))


def test_compose_file_matches_the_compose_specification() -> None:
    assert_passes(
        run(BIN / "check-jsonschema", "--builtin-schema", "vendor.compose-spec",
            DEPLOY / "compose.yaml")
    )  # fmt: skip


def test_kubernetes_manifests_validate_strictly() -> None:
    assert len(MANIFESTS) >= 7
    result = run(BIN / "kubernetes-validate", "--strict", "-k", K8S_VERSION, *MANIFESTS)
    assert_passes(result)
    # Every document was checked against a schema, none skipped as unknown.
    documents = len(k8s_objects())
    assert result.stdout.count(" passed for resource ") == documents, result.stdout


def test_yaml_files_pass_yamllint() -> None:
    assert_passes(run(BIN / "yamllint", "--strict", "-c", DEPLOY / ".yamllint", DEPLOY))


def test_stack_script_is_valid_bash() -> None:
    assert_passes(run("bash", "-n", DEPLOY / "stack.sh"))


# --- the image ----------------------------------------------------------------------------


def final_stage() -> list[str]:
    lines = (DEPLOY / "Dockerfile").read_text().replace("\\\n", " ").splitlines()
    instructions = [line.strip() for line in lines if line.strip() and not line.startswith("#")]
    last_from = max(i for i, line in enumerate(instructions) if line.upper().startswith("FROM "))
    return instructions[last_from:]


def test_image_runs_as_a_non_root_user() -> None:
    users = [line.split()[1] for line in final_stage() if line.upper().startswith("USER ")]
    assert users, "the final stage sets no USER, so it runs as root"
    user = users[-1].split(":")[0]
    assert user not in {"root", "0"}
    # Numeric, so that Kubernetes can verify runAsNonRoot without a passwd lookup.
    assert user.isdigit()


def test_image_checks_its_health_and_serves_with_gunicorn() -> None:
    stage = " ".join(final_stage())
    assert "HEALTHCHECK" in stage
    assert "/healthz" in stage
    assert 'CMD ["gunicorn", "lms.wsgi", "-c", "deploy/gunicorn.conf.py"]' in stage
    assert "collectstatic" in stage
    dockerfile = (DEPLOY / "Dockerfile").read_text()
    assert "uv sync --frozen --no-dev" in dockerfile
    assert "npm ci" in dockerfile


def test_image_environment_names_are_settings() -> None:
    names: set[str] = set()
    for line in final_stage():
        if line.upper().startswith("ENV "):
            names |= set(re.findall(r"([A-Z][A-Z0-9_]*)=", line))
    runtime = {"PATH", "HOME", "PYTHONUNBUFFERED", "PYTHONDONTWRITEBYTECODE",
               "DJANGO_SETTINGS_MODULE"}  # fmt: skip
    assert names - runtime <= known_settings(), names - runtime - known_settings()


def test_dockerignore_keeps_secrets_and_local_state_out() -> None:
    ignored = set((ROOT / ".dockerignore").read_text().split())
    assert {".env", ".venv", "media", "var", "node_modules", ".git"} <= ignored


# --- compose --------------------------------------------------------------------------------


def test_compose_runs_every_sinau_process_from_one_image() -> None:
    services = compose()["services"]
    assert SINAU_SERVICES | {"postgres", "redis", "minio", "createbucket"} <= set(services)
    images = {services[name]["image"] for name in SINAU_SERVICES}
    assert len(images) == 1, images
    commands = {name: " ".join(services[name]["command"]) for name in SINAU_SERVICES}
    assert commands["web"].startswith("gunicorn lms.wsgi -c deploy/gunicorn.conf.py")
    assert "worker -Q default " in commands["worker"]
    assert "worker -Q transcode " in commands["transcode"]
    assert " beat " in commands["beat"]
    assert commands["migrate"] == "python manage.py migrate --noinput"


def test_compose_starts_web_after_migrations_and_checks_health() -> None:
    services = compose()["services"]
    for name in SINAU_SERVICES - {"migrate"}:
        deps = services[name]["depends_on"]
        assert deps["migrate"]["condition"] == "service_completed_successfully"
        assert deps["createbucket"]["condition"] == "service_completed_successfully"
        assert services[name]["restart"] == "unless-stopped"
    assert services["migrate"]["restart"] == "no"
    assert "/healthz" in " ".join(services["web"]["healthcheck"]["test"])
    for name in ("worker", "transcode"):
        assert "inspect ping" in " ".join(services[name]["healthcheck"]["test"])
    for name in ("postgres", "redis", "minio"):
        assert services[name]["healthcheck"]["test"]
        assert services[name]["volumes"]


def test_compose_settings_come_from_the_environment() -> None:
    services = compose()["services"]
    set_names: set[str] = set()
    for name in SINAU_SERVICES:
        set_names |= set(services[name]["environment"])
        assert services[name]["env_file"] == [{"path": ".env", "required": True}]
    assert set_names - known_settings() == set()
    # The example env file holds Sinau settings, or values compose.yaml interpolates.
    interpolated = set(re.findall(r"\$\{([A-Z][A-Z0-9_]*)", (DEPLOY / "compose.yaml").read_text()))
    example = env_file_names(DEPLOY / ".env.compose.example")
    assert example - known_settings() - interpolated == set()
    assert "SECRET_KEY" in example
    # No secret is written into compose.yaml itself.
    assert "SECRET_KEY" not in set_names


# --- Kubernetes ------------------------------------------------------------------------------


def pod_spec(obj: dict[str, Any]) -> dict[str, Any]:
    spec: dict[str, Any] = obj["spec"]["template"]["spec"]
    return spec


def test_kubernetes_has_separate_deployments_and_autoscaling() -> None:
    deployments = of_kind("Deployment")
    assert set(deployments) == {"sinau-web", "sinau-worker", "sinau-transcode", "sinau-beat"}
    commands = {
        name: " ".join(pod_spec(d)["containers"][0]["command"]) for name, d in deployments.items()
    }
    assert "worker -Q default " in commands["sinau-worker"]
    assert "worker -Q transcode " in commands["sinau-transcode"]
    hpas = of_kind("HorizontalPodAutoscaler")
    assert {h["spec"]["scaleTargetRef"]["name"] for h in hpas.values()} == {
        "sinau-web", "sinau-worker", "sinau-transcode",
    }  # fmt: skip
    assert all(h["apiVersion"] == "autoscaling/v2" for h in hpas.values())
    beat = deployments["sinau-beat"]["spec"]
    assert beat["replicas"] == 1
    assert beat["strategy"]["type"] == "Recreate"
    assert "sinau-beat" not in {h["spec"]["scaleTargetRef"]["name"] for h in hpas.values()}


def test_every_container_is_limited_and_locked_down() -> None:
    workloads = [*of_kind("Deployment").values(), *of_kind("Job").values()]
    images = set()
    for workload in workloads:
        spec = pod_spec(workload)
        assert spec["securityContext"]["runAsNonRoot"] is True
        assert spec["automountServiceAccountToken"] is False
        mounts_tmp = {v["name"] for v in spec["volumes"] if "emptyDir" in v}
        for container in spec.get("initContainers", []) + spec["containers"]:
            name = f"{workload['metadata']['name']}/{container['name']}"
            images.add(container["image"])
            assert {"cpu", "memory"} <= set(container["resources"]["limits"]), name
            assert {"cpu", "memory"} <= set(container["resources"]["requests"]), name
            security = container["securityContext"]
            assert security["readOnlyRootFilesystem"] is True, name
            assert security["allowPrivilegeEscalation"] is False, name
            # The writable scratch of a read-only container is an emptyDir.
            scratch = [m["name"] for m in container["volumeMounts"] if m["mountPath"] == TMP]
            assert scratch, name
            assert scratch[0] in mounts_tmp, name
    assert len(images) == 1, images


def test_web_is_probed_on_healthz_and_workers_answer_pings() -> None:
    deployments = of_kind("Deployment")
    web = pod_spec(deployments["sinau-web"])["containers"][0]
    for probe in ("startupProbe", "readinessProbe", "livenessProbe"):
        assert web[probe]["httpGet"]["path"] == "/healthz", probe
        # The probe's Host must be one ALLOWED_HOSTS accepts, or Django answers 400.
        host = web[probe]["httpGet"]["httpHeaders"][0]["value"]
        allowed = of_kind("ConfigMap")["sinau-config"]["data"]["ALLOWED_HOSTS"].split(",")
        assert host in allowed
    for name in ("sinau-worker", "sinau-transcode"):
        worker = pod_spec(deployments[name])["containers"][0]
        assert "inspect ping" in " ".join(worker["livenessProbe"]["exec"]["command"])


def test_web_has_a_service_ingress_and_disruption_budget() -> None:
    web_labels = of_kind("Deployment")["sinau-web"]["spec"]["template"]["metadata"]["labels"]
    service = of_kind("Service")["sinau-web"]
    assert service["spec"]["selector"].items() <= web_labels.items()
    ingress = of_kind("Ingress")["sinau-web"]
    backend = ingress["spec"]["rules"][0]["http"]["paths"][0]["backend"]["service"]
    assert backend["name"] == "sinau-web"
    pdb = of_kind("PodDisruptionBudget")["sinau-web"]
    assert pdb["spec"]["selector"]["matchLabels"].items() <= web_labels.items()


def test_migrations_run_as_a_job_the_deployments_wait_for() -> None:
    job = of_kind("Job")["sinau-migrate"]
    assert pod_spec(job)["containers"][0]["command"][-2:] == ["migrate", "--noinput"]
    for name, deployment in of_kind("Deployment").items():
        init = pod_spec(deployment)["initContainers"]
        assert "migrate --check" in " ".join(init[0]["command"]), name


def test_kubernetes_settings_come_from_the_environment() -> None:
    names = set(of_kind("ConfigMap")["sinau-config"]["data"])
    secret = of_kind("Secret")["sinau-secrets"]
    names |= set(secret["stringData"])
    for workload in [*of_kind("Deployment").values(), *of_kind("Job").values()]:
        for container in pod_spec(workload)["containers"]:
            names |= {e["name"] for e in container.get("env", [])}
    assert names - known_settings() == set()
    # Secrets stay out of the ConfigMap; the Secret is an example, not a real one.
    assert {"SECRET_KEY", "DATABASE_URL", "AWS_SECRET_ACCESS_KEY"} <= set(secret["stringData"])
    assert not {"SECRET_KEY", "AWS_SECRET_ACCESS_KEY"} & set(
        of_kind("ConfigMap")["sinau-config"]["data"]
    )
    assert all("replace" in value for value in secret["stringData"].values())


@pytest.mark.parametrize("path", MANIFESTS, ids=lambda p: str(p.relative_to(DEPLOY)))
def test_every_manifest_is_namespaced_to_sinau(path: Path) -> None:
    for doc in yaml.safe_load_all(path.read_text()):
        if doc["kind"] != "Namespace":
            assert doc["metadata"]["namespace"] == "sinau"
