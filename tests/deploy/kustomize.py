"""A small kustomize for deploy/k8s: renders an overlay to its list of objects, without kubectl.

It implements only what Etapa's kustomizations use, and refuses any other field (so a
kustomization that grows past it fails the test instead of being half rendered):
``resources`` (files and directories with a kustomization), ``namespace``, ``labels`` (pairs,
metadata only), ``images``, ``patches`` (strategic-merge patch files, matched by kind and
name), ``replicas``, ``secretGenerator`` (``files``, ``envs``, ``literals``) with
``generatorOptions.disableNameSuffixHash: true`` (no hash suffixes: references stay as written).

Order, as kustomize: the resources (each base fully rendered), then generators, patches,
replicas, images, namespace and labels of this kustomization.
"""

from __future__ import annotations

import base64
import copy
from pathlib import Path
from typing import Any

import yaml

Object = dict[str, Any]
SUPPORTED = {
    "apiVersion", "kind", "resources", "namespace", "labels", "images", "patches", "replicas",
    "secretGenerator", "generatorOptions",
}  # fmt: skip
SCALABLE = {"Deployment", "StatefulSet", "ReplicaSet", "ReplicationController"}
CLUSTER_SCOPED = {"Namespace", "CustomResourceDefinition", "ClusterRole", "ClusterRoleBinding"}


class KustomizeError(ValueError):
    """The kustomization uses something this renderer does not implement, or is broken."""


def _load_documents(path: Path) -> list[Object]:
    return [doc for doc in yaml.safe_load_all(path.read_text()) if doc]


def render(directory: Path) -> list[Object]:
    """Every object ``directory``'s kustomization produces."""
    kustomization = yaml.safe_load((directory / "kustomization.yaml").read_text())
    unknown = set(kustomization) - SUPPORTED
    if unknown:
        raise KustomizeError(f"{directory}: fields not implemented here: {sorted(unknown)}")
    objects: list[Object] = []
    for entry in kustomization.get("resources") or []:
        path = (directory / entry).resolve()
        objects.extend(render(path) if path.is_dir() else _load_documents(path))
    objects.extend(_generate_secrets(directory, kustomization))
    for patch in kustomization.get("patches") or []:
        if set(patch) != {"path"}:
            raise KustomizeError(f"{directory}: only `patches: - path: …` is implemented")
        for document in _load_documents(directory / patch["path"]):
            _apply_patch(objects, document)
    for replicas in kustomization.get("replicas") or []:
        scalable = [o for o in objects if o["kind"] in SCALABLE]
        _find(scalable, None, replicas["name"])["spec"]["replicas"] = replicas["count"]
    for image in kustomization.get("images") or []:
        _set_image(objects, image)
    if namespace := kustomization.get("namespace"):
        for obj in objects:
            if obj["kind"] not in CLUSTER_SCOPED:
                obj.setdefault("metadata", {})["namespace"] = namespace
    for label in kustomization.get("labels") or []:
        if label.get("includeSelectors") or label.get("includeTemplates"):
            raise KustomizeError("labels: only metadata labels are implemented")
        for obj in objects:
            obj.setdefault("metadata", {}).setdefault("labels", {}).update(label["pairs"])
    names = [(o["kind"], o["metadata"].get("namespace"), o["metadata"]["name"]) for o in objects]
    duplicates = {name for name in names if names.count(name) > 1}
    if duplicates:
        raise KustomizeError(f"{directory}: objects defined twice: {sorted(map(str, duplicates))}")
    return objects


def _generate_secrets(directory: Path, kustomization: Object) -> list[Object]:
    generators = kustomization.get("secretGenerator") or []
    if generators and not (kustomization.get("generatorOptions") or {}).get(
        "disableNameSuffixHash"
    ):
        raise KustomizeError("secretGenerator: name hash suffixes are not implemented")
    secrets = []
    for generator in generators:
        data: dict[str, str] = {}
        for entry in generator.get("files") or []:
            key, _, source = entry.rpartition("=")
            path = directory / source
            if not path.is_file():
                raise KustomizeError(f"secretGenerator {generator['name']}: {path} is missing")
            data[key or path.name] = path.read_text()
        for source in generator.get("envs") or []:
            path = directory / source
            if not path.is_file():
                raise KustomizeError(f"secretGenerator {generator['name']}: {path} is missing")
            for line in path.read_text().splitlines():
                if line.strip() and not line.lstrip().startswith("#"):
                    key, _, value = line.partition("=")
                    data[key.strip()] = value
        for literal in generator.get("literals") or []:
            key, _, value = literal.partition("=")
            data[key] = value
        secrets.append(
            {
                "apiVersion": "v1",
                "kind": "Secret",
                "metadata": {"name": generator["name"]},
                "type": generator.get("type", "Opaque"),
                "data": {k: base64.b64encode(v.encode()).decode() for k, v in data.items()},
            }
        )
    return secrets


def _find(objects: list[Object], kind: str | None, name: str) -> Object:
    found = [
        obj
        for obj in objects
        if obj["metadata"]["name"] == name and (kind is None or obj["kind"] == kind)
    ]
    if len(found) != 1:
        raise KustomizeError(f"expected one {kind or 'object'} named {name}, found {len(found)}")
    return found[0]


def _apply_patch(objects: list[Object], patch: Object) -> None:
    target = _find(objects, patch["kind"], patch["metadata"]["name"])
    if target.get("apiVersion") != patch.get("apiVersion"):
        raise KustomizeError(f"patch of {patch['metadata']['name']}: apiVersion differs")
    merged = strategic_merge(target, patch)
    target.clear()
    target.update(merged)


def strategic_merge(base: Any, patch: Any) -> Any:
    """Maps merge key by key; lists of maps that all have ``name`` merge by name; any other
    value (or list) is replaced by the patch's."""
    if isinstance(base, dict) and isinstance(patch, dict):
        merged = copy.deepcopy(base)
        for key, value in patch.items():
            merged[key] = strategic_merge(base[key], value) if key in base else value
        return merged
    named = (
        isinstance(base, list)
        and isinstance(patch, list)
        and all(isinstance(item, dict) and "name" in item for item in [*base, *patch])
    )
    if named:
        merged_list = copy.deepcopy(base)
        for item in patch:
            index = next((i for i, b in enumerate(base) if b["name"] == item["name"]), None)
            if index is None:
                merged_list.append(item)
            else:
                merged_list[index] = strategic_merge(base[index], item)
        return merged_list
    return copy.deepcopy(patch)


def _containers(obj: Object) -> list[Object]:
    spec = obj.get("spec") or {}
    pod = (
        (spec.get("template") or {}).get("spec")
        or (((spec.get("jobTemplate") or {}).get("spec") or {}).get("template") or {}).get("spec")
        or {}
    )
    return [*(pod.get("containers") or []), *(pod.get("initContainers") or [])]


def _set_image(objects: list[Object], image: Object) -> None:
    for obj in objects:
        for container in _containers(obj):
            name = container.get("image", "")
            if name == image["name"] or name.startswith(image["name"] + ":"):
                tag = image.get("newTag") or (name.partition(":")[2] or None)
                new = image.get("newName", image["name"])
                container["image"] = f"{new}:{tag}" if tag else new
