"""The alert rules, their unit tests, the Prometheus configuration and the Grafana dashboard.

promtool checks the rules and the configuration and runs the rules' own unit tests (series in,
alerts out: deploy/prometheus/etapa-alerts.test.yml); the dashboard's queries are checked by
promtool too, as recording rules. Each metric they read is one that ``shared.metrics`` defines,
the HTTP middleware serves, or RabbitMQ's plugin or Prometheus provide; tests/e2e/test_metrics.py
then finds every ``etapa_`` one in the running services' ``/metrics``.
"""

from __future__ import annotations

import subprocess
from pathlib import Path

import yaml
from prometheus_client import REGISTRY
from prometheus_client.metrics import MetricWrapperBase

import shared.metrics
from tests.deploy.monitoring import (
    ALERT_RULES,
    ALERT_TESTS,
    PROMETHEUS_CONFIG,
    PROMETHEUS_METRICS,
    RABBITMQ_PLUGIN_METRICS,
    alert_rules,
    dashboard,
    dashboard_exprs,
    dashboard_panels,
    every_expr,
    metric_names,
    promtool,
)

HTTP_METRICS = {
    "etapa_http_requests_total",
    "etapa_http_request_duration_seconds_bucket",
    "etapa_http_requests_error_total",
}
"""Litestar's middleware (``shared.web``: prefix ``etapa_http``), made on the first request."""

REQUIRED_ALERTS = {
    "EtapaOutboxOldEvent",
    "EtapaDeadLetters",
    "EtapaSmsFailureRate",
    "EtapaServiceDown",
    "EtapaConsumerMissing",
}


def _promtool(*args: str, cwd: Path) -> str:
    result = subprocess.run(
        [promtool(), *args], cwd=cwd, capture_output=True, text=True, check=False, timeout=60
    )
    assert result.returncode == 0, f"promtool {' '.join(args)}:\n{result.stdout}{result.stderr}"
    return result.stdout


def _defined_samples() -> set[str]:
    """Every ``etapa_`` sample name the metrics registered in this process can produce."""
    names: set[str] = set()
    for metric in vars(shared.metrics).values():
        if isinstance(metric, MetricWrapperBase):
            names |= {name for name in REGISTRY._collector_to_names[metric]}
    return names


def test_promtool_accepts_the_alert_rules() -> None:
    out = _promtool("check", "rules", ALERT_RULES.name, cwd=ALERT_RULES.parent)
    assert f"SUCCESS: {len(alert_rules())} rules found" in out


def test_the_alerts_fire_when_and_only_when_their_unit_tests_say() -> None:
    out = _promtool("test", "rules", ALERT_TESTS.name, cwd=ALERT_TESTS.parent)
    assert "SUCCESS" in out


def test_every_required_alert_has_a_unit_test_where_it_fires() -> None:
    cases = yaml.safe_load(ALERT_TESTS.read_text())["tests"]
    firing = {
        case["alertname"]
        for test in cases
        for case in test["alert_rule_test"]
        if case.get("exp_alerts")
    }
    names = {rule["alert"] for rule in alert_rules()}
    assert names >= REQUIRED_ALERTS
    assert firing == names  # every rule, not only the required ones


def test_every_alert_says_how_bad_and_what_happened_in_portuguese() -> None:
    for rule in alert_rules():
        assert rule["labels"]["severity"] in {"page", "warning"}, rule["alert"]
        assert rule["annotations"]["summary"], rule["alert"]
        assert rule["annotations"]["description"], rule["alert"]


def test_the_prometheus_configuration_is_valid_and_scrapes_rabbitmq_per_queue() -> None:
    _promtool("check", "config", PROMETHEUS_CONFIG.name, cwd=PROMETHEUS_CONFIG.parent)
    jobs = {
        job["job_name"]: job
        for job in yaml.safe_load(PROMETHEUS_CONFIG.read_text())["scrape_configs"]
    }
    assert {"etapa-intake", "etapa-workflow", "etapa-notifier", "etapa-console"} <= set(jobs)
    assert jobs["rabbitmq"]["metrics_path"] == "/metrics/per-object"


def test_every_dashboard_query_is_valid_promql(tmp_path: Path) -> None:
    rules = {
        "groups": [
            {
                "name": "dashboard",
                "rules": [
                    {"record": f"dashboard:query_{i}", "expr": expr}
                    for i, expr in enumerate(dashboard_exprs())
                ],
            }
        ]
    }
    (tmp_path / "dashboard.yml").write_text(yaml.safe_dump(rules))
    out = _promtool("check", "rules", "dashboard.yml", cwd=tmp_path)
    assert f"SUCCESS: {len(dashboard_exprs())} rules found" in out


def test_the_dashboard_has_a_panel_for_each_thing_an_operator_watches() -> None:
    board = dashboard()
    assert board["uid"] == "etapa-operacao"
    assert board["templating"]["list"][0]["type"] == "datasource"
    read = set().union(*(metric_names(expr) for expr in dashboard_exprs()))
    assert {
        "etapa_outbox_backlog",
        "etapa_outbox_oldest_age_seconds",
        "etapa_messages_handled_total",
        "etapa_message_handling_seconds_bucket",
        "etapa_sms_messages_total",
        "etapa_lab_messages_total",
        "etapa_risk_transitions_total",
        "rabbitmq_queue_messages",
        "up",
    } <= read
    for panel in dashboard_panels():
        assert panel["targets"], panel["title"]
        assert panel["datasource"]["uid"] == "${datasource}", panel["title"]
    ids = [p["id"] for p in board["panels"]]
    assert len(ids) == len(set(ids))


def test_every_metric_the_rules_and_the_dashboard_read_exists() -> None:
    known = _defined_samples() | HTTP_METRICS | RABBITMQ_PLUGIN_METRICS | PROMETHEUS_METRICS
    for expr in every_expr():
        assert metric_names(expr), expr
        assert metric_names(expr) <= known, (expr, metric_names(expr) - known)


def test_metric_names_leave_label_values_and_ranges_out() -> None:
    expr = 'sum by (queue) (rate(etapa_x_total{queue=~"up|etapa_y"}[5m])) and up == 0'
    assert metric_names(expr) == {"etapa_x_total", "up"}
