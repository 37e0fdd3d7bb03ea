"""``make run`` prints the ports it serves on; ``make integration``, ``e2e`` and ``browser`` run
their tests (issue 17). Read with ``make -n``: nothing is run."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
pytestmark = pytest.mark.skipif(shutil.which("make") is None, reason="make is not installed")


def dry_run(*args: str) -> str:
    result = subprocess.run(
        ["make", "-n", "--no-print-directory", *args],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
        timeout=60,
    )
    return result.stdout


def test_the_run_banner_shows_the_ports_it_was_given() -> None:
    out = dry_run("run", "INTAKE_PORT=9100", "WORKFLOW_PORT=9101", "NOTIFIER_PORT=9102",
                  "CONSOLE_PORT=9103")  # fmt: skip
    for port in ("9100", "9101", "9102", "9103"):
        assert f"http://127.0.0.1:{port}" in out
    assert not any(f"127.0.0.1:{port}" in out for port in ("8000", "8001", "8002", "8003"))
    assert "CONSOLE_INTAKE_URL=${CONSOLE_INTAKE_URL:-http://127.0.0.1:9100}" in out


def test_the_test_targets_run_their_tests() -> None:
    assert "pytest tests/integration" in dry_run("integration")
    assert "pytest tests/e2e" in dry_run("e2e")
    assert "pytest tests/browser" in dry_run("browser")


def test_make_chaos_runs_every_scenario_three_times_and_chaos_quick_once_short() -> None:
    full = dry_run("chaos")
    assert "CHAOS_RUNS=${CHAOS_RUNS:-3}" in full
    assert "pytest tests/chaos -m chaos" in full
    quick = dry_run("chaos-quick")
    assert "CHAOS_QUICK=1" in quick
    assert "CHAOS_RUNS=${CHAOS_RUNS:-1}" in quick
    assert "pytest tests/chaos -m chaos" in quick
