"""``bench_scale --cpu-limit``: what it writes into a cgroup hierarchy, here a directory laid
out as the kernel's (``tests.bench.e2e_cpu_limits``; no process is limited here)."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.bench.e2e_cpu_limits import cgroup_root, cpu_limits, parse_limits, service_of

SERVICES = ("intake", "workflow", "notifier")


def test_limits_are_millicores_a_process_by_service() -> None:
    assert parse_limits("workflow=200, notifier = 150", SERVICES) == {
        "workflow": 200,
        "notifier": 150,
    }
    assert parse_limits("", SERVICES) == {}


@pytest.mark.parametrize(
    ("text", "why"),
    [
        ("workflow", "SERVICE=MILLICORES"),
        ("workflow=x", "SERVICE=MILLICORES"),
        ("=200", "SERVICE=MILLICORES"),
        ("workflow=5", "10–64000"),
        ("workfow=150", "'workfow' is not one of intake, workflow, notifier"),
    ],
)
def test_a_limit_that_is_not_millicores_is_refused_by_name(text: str, why: str) -> None:
    with pytest.raises(ValueError, match=why):
        parse_limits(text, SERVICES)


def test_a_replica_counts_as_its_service() -> None:
    assert [service_of(n) for n in ("workflow", "workflow-2", "raw-http")] == [
        "workflow",
        "workflow",
        "raw-http",
    ]


def v1_root(tmp_path: Path) -> Path:
    root = tmp_path / "cpu"
    root.mkdir()
    (root / "cpu.cfs_quota_us").write_text("-1\n")
    return root


def test_each_limited_process_gets_a_group_of_its_own_with_its_quota(tmp_path: Path) -> None:
    root = v1_root(tmp_path)
    with cpu_limits({"workflow": 250}, "r1", (root,)) as limits:
        assert limits is not None
        applied = limits.apply({"intake": 10, "workflow": 11, "workflow-2": 12})
        assert applied == {"workflow": 250, "workflow-2": 250}
        group = root / "etapa-bench-r1"
        assert not (group / "intake").exists()
        for name, pid in (("workflow", 11), ("workflow-2", 12)):
            assert (group / name / "cpu.cfs_quota_us").read_text() == "25000"
            assert (group / name / "cpu.cfs_period_us").read_text() == "100000"
            assert (group / name / "cgroup.procs").read_text() == str(pid)
        # The kernel's own files, which rmdir takes with the group: here the test's to remove.
        for name in ("workflow", "workflow-2"):
            for file in (group / name).iterdir():
                file.unlink()
            (group / name / "cpu.stat").write_text("nr_periods 9\nthrottled_time 1500000000\n")
        assert limits.throttled_seconds() == {"workflow": 1.5, "workflow-2": 1.5}
        for name in ("workflow", "workflow-2"):
            (group / name / "cpu.stat").unlink()
    assert not (root / "etapa-bench-r1").exists()


def test_cgroup_v2_takes_quota_and_period_in_cpu_max(tmp_path: Path) -> None:
    root = tmp_path / "unified"
    root.mkdir()
    (root / "cgroup.subtree_control").write_text("cpu memory\n")
    with cpu_limits({"notifier": 200}, "r2", (root,)) as limits:
        assert limits is not None
        limits.apply({"notifier": 20})
        group = root / "etapa-bench-r2"
        assert (group / "notifier" / "cpu.max").read_text() == "20000 100000"
        assert (group / "cgroup.subtree_control").read_text() == "+cpu"
        assert limits.version == 2
        for file in (group / "notifier").iterdir():
            file.unlink()
        (group / "cgroup.subtree_control").unlink()
    assert not (root / "etapa-bench-r2").exists()


def test_no_limits_asked_for_touch_nothing(tmp_path: Path) -> None:
    with cpu_limits({}, "r3", (tmp_path,)) as limits:
        assert limits is None
    assert list(tmp_path.iterdir()) == []


def test_without_a_cpu_controller_the_error_says_what_is_missing(tmp_path: Path) -> None:
    with pytest.raises(RuntimeError, match="cpu cgroup controller"):
        cgroup_root((tmp_path,))
