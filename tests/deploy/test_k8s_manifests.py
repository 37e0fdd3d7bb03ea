"""deploy/k8s: both overlays render, every object is valid, and the settings match compose's.

Rendering is ``tests.deploy.kustomize`` (no kubectl here), after writing the secrets as the
README says (``python -m shared.deploy_secrets <overlay>/secrets`` and a ``connections.env``).
Core objects are validated with ``kubernetes-validate`` (strict: unknown fields fail); KEDA's
and the RabbitMQ operator's custom resources with the JSON Schemas in ``crd_schemas/``.
"""

from __future__ import annotations

import base64
import json
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import jsonschema
import kubernetes_validate
import pytest

from tests.deploy.compose import compose_model
from tests.deploy.kustomize import KustomizeError, render

K8S = Path(__file__).parents[2] / "deploy" / "k8s"
SCHEMAS = Path(__file__).parent / "crd_schemas"
KUBERNETES_VERSION = "1.31.0"
OVERLAYS = ("one-box", "cluster")
OPERATOR_SECRETS = {"etapa-rabbitmq-default-user": {"username", "password"}}
"""Made by the RabbitMQ Cluster Operator for the RabbitmqCluster, not by the manifests."""
COMPOSE_TO_K8S = {
    "migrate": "etapa-migrate",
    "intake": "etapa-intake",
    "workflow": "etapa-workflow",
    "notifier": "etapa-notifier",
    "console": "etapa-console",
}

Object = dict[str, Any]


def _crd_schemas() -> dict[tuple[str, str], Any]:
    schemas = {}
    for path in SCHEMAS.glob("*.json"):
        for kind, schema in json.loads(path.read_text()).items():
            schemas[(schema["properties"]["apiVersion"]["const"], kind)] = schema
    return schemas


@pytest.fixture(scope="module")
def rendered(tmp_path_factory: pytest.TempPathFactory) -> dict[str, list[Object]]:
    copy = tmp_path_factory.mktemp("k8s") / "k8s"
    shutil.copytree(K8S, copy, ignore=shutil.ignore_patterns("secrets"))
    result = {}
    for overlay in OVERLAYS:
        directory = copy / "overlays" / overlay
        subprocess.run(
            [sys.executable, "-m", "shared.deploy_secrets", str(directory / "secrets")],
            check=True,
            capture_output=True,
            env={"PATH": "/usr/bin:/bin"},
        )
        shutil.copy(directory / "connections.env.example", directory / "secrets/connections.env")
        for name in ("databases.ini", "userlist.txt"):  # as `make k8s-secrets` copies them
            example = directory / f"pgbouncer-{name}.example"
            if example.exists():
                (directory / "secrets/pgbouncer").mkdir(exist_ok=True)
                shutil.copy(example, directory / "secrets/pgbouncer" / name)
        result[overlay] = render(directory)
    return result


def _named(objects: list[Object], kind: str, name: str) -> Object:
    (found,) = [o for o in objects if o["kind"] == kind and o["metadata"]["name"] == name]
    return found


def _pod(obj: Object) -> Object:
    pod: Object = obj["spec"]["template"]["spec"]
    return pod


def _workloads(objects: list[Object]) -> list[Object]:
    return [o for o in objects if o["kind"] in ("Deployment", "Job")]


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_every_object_is_valid(rendered: dict[str, list[Object]], overlay: str) -> None:
    crds = _crd_schemas()
    kinds = set()
    for obj in rendered[overlay]:
        kinds.add(obj["kind"])
        schema = crds.get((obj["apiVersion"], obj["kind"]))
        if schema is not None:
            jsonschema.Draft7Validator(schema).validate(obj)
        else:
            kubernetes_validate.validate(obj, KUBERNETES_VERSION, strict=True)
    assert {"Deployment", "Job", "Service", "ConfigMap", "Secret", "RabbitmqCluster"} <= kinds
    if overlay == "cluster":
        assert {"ScaledObject", "TriggerAuthentication", "PodDisruptionBudget"} <= kinds


def test_a_misspelt_field_fails_validation(rendered: dict[str, list[Object]]) -> None:
    crds = _crd_schemas()
    cluster = _named(rendered["cluster"], "RabbitmqCluster", "etapa-rabbitmq")
    broken = {**cluster, "spec": {**cluster["spec"], "replica": 3}}
    with pytest.raises(jsonschema.ValidationError, match="replica"):
        jsonschema.Draft7Validator(crds[("rabbitmq.com/v1beta1", "RabbitmqCluster")]).validate(
            broken
        )
    deployment = _named(rendered["cluster"], "Deployment", "etapa-intake")
    broken = {**deployment, "spec": {**deployment["spec"], "replicaz": 2}}
    with pytest.raises(kubernetes_validate.ValidationError):
        kubernetes_validate.validate(broken, KUBERNETES_VERSION, strict=True)


def test_rendering_without_the_secrets_stops_and_names_the_file(tmp_path: Path) -> None:
    copy = tmp_path / "k8s"
    shutil.copytree(K8S, copy, ignore=shutil.ignore_patterns("secrets"))
    with pytest.raises(KustomizeError, match=r"secrets/intake/private\.pem is missing"):
        render(copy / "overlays" / "one-box")


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_every_reference_resolves_and_only_intake_reads_the_private_key(
    rendered: dict[str, list[Object]], overlay: str
) -> None:
    objects = rendered[overlay]
    secrets = {
        o["metadata"]["name"]: set(o.get("data") or {}) for o in objects if o["kind"] == "Secret"
    }
    secrets |= OPERATOR_SECRETS
    config_maps = {o["metadata"]["name"] for o in objects if o["kind"] == "ConfigMap"}
    readers_of_private_key = set()
    for workload in _workloads(objects):
        for container in _pod(workload)["containers"]:
            for source in container.get("envFrom") or []:
                if "configMapRef" in source:
                    assert source["configMapRef"]["name"] in config_maps
                if "secretRef" in source:
                    assert source["secretRef"]["name"] in secrets
            for variable in container.get("env") or []:
                reference = (variable.get("valueFrom") or {}).get("secretKeyRef")
                if reference is None:
                    continue
                assert reference["key"] in secrets[reference["name"]], (workload, variable)
                if reference["key"] == "private.pem":
                    readers_of_private_key.add(workload["metadata"]["name"])
            if workload["metadata"]["name"] == "etapa-pgbouncer":
                assert container["image"] == "registry.example.com/etapa-pgbouncer:1.18"
            else:
                assert container["image"] == "registry.example.com/etapa:0.1.0"
    assert readers_of_private_key == {"etapa-intake", "etapa-migrate"}
    keys = _named(objects, "Secret", "etapa-keys")["data"]
    assert base64.b64decode(keys["public.pem"]).startswith(b"-----BEGIN PUBLIC KEY")


def _k8s_settings(objects: list[Object], workload: Object) -> set[str]:
    names: set[str] = set()
    for container in _pod(workload)["containers"]:
        names |= {variable["name"] for variable in container.get("env") or []}
        for source in container.get("envFrom") or []:
            if "configMapRef" in source:
                config = _named(objects, "ConfigMap", source["configMapRef"]["name"])
                names |= set(config["data"])
            if "secretRef" in source:
                names |= set(_named(objects, "Secret", source["secretRef"]["name"])["data"])
    return names


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_each_service_gets_every_setting_compose_gives_it(
    rendered: dict[str, list[Object]], overlay: str
) -> None:
    """Compose's settings are proven by running them (test_compose_as_processes); Kubernetes
    must give each service the same ones (a ``*_FILE`` there is the value itself here)."""
    objects = rendered[overlay]
    services = compose_model()["services"]
    config = _named(objects, "ConfigMap", "etapa-config")["data"]
    assert config["ETAPA_ENV"] == "production"
    for service, workload_name in COMPOSE_TO_K8S.items():
        kind = "Job" if service == "migrate" else "Deployment"
        workload = _named(objects, kind, workload_name)
        needed = {
            name.removesuffix("_FILE")
            for name, value in services[service]["environment"].items()
            if value  # compose's optional settings (empty by default) may stay unset
        }
        missing = needed - _k8s_settings(objects, workload)
        assert not missing, f"{workload_name} lacks {sorted(missing)}"


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_each_service_listens_where_its_service_and_probes_point(
    rendered: dict[str, list[Object]], overlay: str
) -> None:
    objects = rendered[overlay]
    config = _named(objects, "ConfigMap", "etapa-config")["data"]
    for service in ("intake", "workflow", "notifier", "console"):
        deployment = _named(objects, "Deployment", f"etapa-{service}")
        (container,) = _pod(deployment)["containers"]
        assert container["args"] == [service, "serve"]
        port = int(config[f"{service.upper()}_PORT"])
        assert container["ports"] == [{"name": "http", "containerPort": port}]
        assert container["readinessProbe"]["httpGet"]["path"] == "/ready"
        (service_port,) = _named(objects, "Service", f"etapa-{service}")["spec"]["ports"]
        assert (service_port["port"], service_port["targetPort"]) == (port, "http")
        url = config.get(f"CONSOLE_{service.upper()}_URL")
        assert service == "console" or url == f"http://etapa-{service}:{port}"


def test_the_overlays_size_things_as_they_say(rendered: dict[str, list[Object]]) -> None:
    one_box, cluster = rendered["one-box"], rendered["cluster"]
    assert _named(one_box, "RabbitmqCluster", "etapa-rabbitmq")["spec"]["replicas"] == 1
    assert _named(cluster, "RabbitmqCluster", "etapa-rabbitmq")["spec"]["replicas"] == 3
    for name in ("etapa-intake", "etapa-workflow", "etapa-console"):
        assert _named(one_box, "Deployment", name)["spec"]["replicas"] == 1
        assert _named(cluster, "Deployment", name)["spec"]["replicas"] == 2
    assert not [o for o in one_box if o["apiVersion"].startswith("keda.sh")]
    scaled = _named(cluster, "ScaledObject", "etapa-notifier")
    assert scaled["spec"]["scaleTargetRef"]["name"] == "etapa-notifier"
    assert "replicas" not in _named(cluster, "Deployment", "etapa-notifier")["spec"]
    for obj in cluster:
        if obj["kind"] != "Namespace":
            assert obj["metadata"]["namespace"] == "etapa", obj["metadata"]["name"]


def pgbouncer_ini(objects: list[Object]) -> str:
    """The cluster overlay's pgbouncer.ini (the ConfigMap etapa-pgbouncer)."""
    ini: str = _named(objects, "ConfigMap", "etapa-pgbouncer")["data"]["pgbouncer.ini"]
    return ini


def ini_settings(ini: str) -> dict[str, str]:
    """``key = value`` lines of an ini (sections and ``;`` comments left out)."""
    settings = {}
    for line in ini.splitlines():
        key, equals, value = line.partition("=")
        if equals and not line.lstrip().startswith((";", "#", "[")):
            settings[key.strip()] = value.strip()
    return settings


def test_the_cluster_pools_go_through_pgbouncer_in_transaction_mode_and_sessions_do_not(
    rendered: dict[str, list[Object]],
) -> None:
    """The services' pools reach PostgreSQL through the Service etapa-pgbouncer; what needs a
    session (migrations, the relay's LISTEN) goes to PostgreSQL; no named prepared statements.
    The one-box overlay has no PgBouncer and needs none of it."""
    cluster = rendered["cluster"]
    ini = pgbouncer_ini(cluster)
    settings = ini_settings(ini)
    assert settings["pool_mode"] == "transaction"
    (service_port,) = _named(cluster, "Service", "etapa-pgbouncer")["spec"]["ports"]
    deployment = _named(cluster, "Deployment", "etapa-pgbouncer")
    (container,) = _pod(deployment)["containers"]
    assert container["ports"] == [{"name": "postgres", "containerPort": service_port["port"]}]
    assert int(settings["listen_port"]) == service_port["port"]
    mounts = {m["name"]: m["mountPath"] for m in container["volumeMounts"]}
    volumes = {v["name"]: v for v in _pod(deployment)["volumes"]}
    assert volumes["config"]["configMap"]["name"] == "etapa-pgbouncer"
    assert container["args"] == [f"{mounts['config']}/pgbouncer.ini"]
    assert volumes["secret"]["secret"]["secretName"] == "etapa-pgbouncer"
    secret = _named(cluster, "Secret", "etapa-pgbouncer")["data"]
    assert settings["auth_file"] == f"{mounts['secret']}/userlist.txt"
    assert f"%include {mounts['secret']}/databases.ini" in ini
    databases = base64.b64decode(secret["databases.ini"]).decode()
    users = base64.b64decode(secret["userlist.txt"]).decode()
    config = _named(cluster, "ConfigMap", "etapa-config")["data"]
    connections = {
        key: base64.b64decode(value).decode()
        for key, value in _named(cluster, "Secret", "etapa-secrets")["data"].items()
    }
    for service in ("intake", "workflow", "notifier"):
        prefix = service.upper()
        pooled = urlsplit(connections[f"{prefix}_DATABASE_URL"])
        direct = urlsplit(connections[f"{prefix}_DATABASE_DIRECT_URL"])
        assert (pooled.hostname, pooled.port) == ("etapa-pgbouncer", service_port["port"])
        assert direct.hostname != "etapa-pgbouncer"
        assert (pooled.path, pooled.username) == (direct.path, direct.username)
        assert f"{pooled.path.lstrip('/')} = host=" in databases
        assert f'"{pooled.username}"' in users
        assert config[f"{prefix}_DATABASE_STATEMENT_CACHE_SIZE"] == "0"
    assert f'"{settings["stats_users"]}"' in users
    one_box = rendered["one-box"]
    assert not [o for o in one_box if "pgbouncer" in o["metadata"]["name"]]
    assert (
        "INTAKE_DATABASE_STATEMENT_CACHE_SIZE"
        not in _named(one_box, "ConfigMap", "etapa-config")["data"]
    )
