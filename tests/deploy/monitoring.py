"""The operator's monitoring files (deploy/prometheus/, deploy/grafana/) as the tests read them.

``promtool`` is Prometheus' own checker (``make promtool`` takes it out of Debian's package into
.tools/). ``metric_names`` finds the metric names a PromQL expression reads, so that the tests
can check each one against what the services really serve.
"""

from __future__ import annotations

import json
import os
import re
import shutil
from pathlib import Path
from typing import Any

import yaml
from prometheus_client.parser import text_string_to_metric_families

ROOT = Path(__file__).parents[2]
PROMETHEUS = ROOT / "deploy" / "prometheus"
ALERT_RULES = PROMETHEUS / "etapa-alerts.yml"
ALERT_TESTS = PROMETHEUS / "etapa-alerts.test.yml"
PROMETHEUS_CONFIG = PROMETHEUS / "prometheus.yml"
DASHBOARD = ROOT / "deploy" / "grafana" / "etapa-dashboard.json"

RABBITMQ_PLUGIN_METRICS = frozenset({"rabbitmq_queue_messages", "rabbitmq_queue_consumers"})
"""What the rules and the dashboard read from RabbitMQ's own plugin (``/metrics/per-object``)."""
PROMETHEUS_METRICS = frozenset({"up"})
"""What Prometheus itself records for every scrape."""

_NAME = re.compile(r"\b(etapa_[a-z0-9_]+|rabbitmq_[a-z0-9_]+|up)\b")
_STRINGS = re.compile(r'"(?:[^"\\]|\\.)*"')
_RANGES = re.compile(r"\[[^\]]*\]")


def promtool() -> str:
    """The promtool to run: ``ETAPA_PROMTOOL``, the one on the PATH, or .tools/promtool."""
    candidates = [os.environ.get("ETAPA_PROMTOOL"), shutil.which("promtool")]
    candidates.append(str(ROOT / ".tools" / "promtool"))
    for candidate in candidates:
        if candidate and Path(candidate).is_file() and os.access(candidate, os.X_OK):
            return candidate
    raise AssertionError("promtool not found: run `make promtool` (Debian's prometheus package)")


def metric_names(expr: str) -> set[str]:
    """The metric names ``expr`` reads: label values (strings) and ranges left out."""
    bare = _RANGES.sub("", _STRINGS.sub('""', expr))
    return set(_NAME.findall(bare))


def alert_rules() -> list[dict[str, Any]]:
    groups = yaml.safe_load(ALERT_RULES.read_text())["groups"]
    return [rule for group in groups for rule in group["rules"]]


def dashboard() -> dict[str, Any]:
    loaded: dict[str, Any] = json.loads(DASHBOARD.read_text())
    return loaded


def dashboard_panels() -> list[dict[str, Any]]:
    return [panel for panel in dashboard()["panels"] if panel["type"] != "row"]


def dashboard_exprs() -> list[str]:
    return [target["expr"] for panel in dashboard_panels() for target in panel["targets"]]


def every_expr() -> list[str]:
    return [rule["expr"] for rule in alert_rules()] + dashboard_exprs()


def sample_names(exposition: str) -> set[str]:
    """The sample names (``etapa_x_total``, ``etapa_y_bucket``…) in a ``/metrics`` text."""
    return {
        sample.name
        for family in text_string_to_metric_families(exposition)
        for sample in family.samples
    }
