"""Each process of a service held to a share of a core, as a pod's CPU limit holds it
(``bench_scale --cpu-limit workflow=200,notifier=200``).

Issue 16 asks that two workflow and two notifier processes commit ≥ 1.6 × what one of each does
"on a machine with the cores for it". This machine has two cores, and past saturation a second
pair takes them from intake. A CPU limit gives each process a budget of its own instead, as
Kubernetes does with ``resources.limits.cpu``: the kubelet writes it as the CFS quota of the
container's cgroup, ``millicores × period / 1000`` of CPU time in each ``period``. With the
limits low enough that every configuration's processes fit in the two cores, the machine has
the cores for 2 + 2, and the ratio says whether a second process of a service adds its budget.

Each process gets a cgroup of its own under ``<root>/etapa-bench-<run>/<name>`` (``workflow``,
``workflow-2``…): cgroup v1's ``cpu`` hierarchy (``cpu.cfs_quota_us``) or cgroup v2's
(``cpu.max``). Moving a process (``cgroup.procs``) moves all its threads; what it starts
later starts in its group. Root only; nothing is written elsewhere.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path

PERIOD_US = 100_000
"""The CFS period the kubelet uses (100 ms)."""

CGROUP_ROOTS = (Path("/sys/fs/cgroup/cpu"), Path("/sys/fs/cgroup"))
"""Where the ``cpu`` controller is mounted: cgroup v1's own hierarchy, else cgroup v2's."""


def parse_limits(text: str, services: tuple[str, ...]) -> dict[str, int]:
    """``workflow=200,notifier=200`` → millicores per process, by service; a service not in
    ``services`` is refused (a misspelt one would leave the run unlimited without a word)."""
    limits: dict[str, int] = {}
    for item in filter(None, (part.strip() for part in text.split(","))):
        service, sep, value = (part.strip() for part in item.partition("="))
        if not sep or not service or not value.isdigit():
            raise ValueError(f"--cpu-limit: {item!r} is not SERVICE=MILLICORES (workflow=200)")
        if service not in services:
            raise ValueError(f"--cpu-limit: {service!r} is not one of {', '.join(services)}")
        millicores = int(value)
        if not 10 <= millicores <= 64_000:
            raise ValueError(f"--cpu-limit: {item!r}: millicores must be 10–64000")
        limits[service] = millicores
    return limits


def service_of(name: str) -> str:
    """``workflow-2`` → ``workflow`` (``e2e_replicas.process_name``'s names)."""
    base, _, index = name.rpartition("-")
    return base if base and index.isdigit() else name


@dataclass
class CpuLimits:
    """The groups of one run: made on first use, removed at the end."""

    millicores: Mapping[str, int]
    group: Path
    """``<root>/etapa-bench-<run>``: one directory per limited process under it."""
    version: int
    """1: cgroup v1's ``cpu.cfs_*``; 2: cgroup v2's ``cpu.max``."""
    _made: list[Path] = field(default_factory=list)

    def apply(self, pids: Mapping[str, int]) -> dict[str, int]:
        """Each process of a limited service into its group (again is harmless); the
        millicores each got, by process name."""
        applied = {}
        for name, pid in pids.items():
            millicores = self.millicores.get(service_of(name))
            if millicores is None:
                continue
            directory = self._make(self.group / name)
            quota = millicores * PERIOD_US // 1000
            if self.version == 1:
                (directory / "cpu.cfs_period_us").write_text(str(PERIOD_US))
                (directory / "cpu.cfs_quota_us").write_text(str(quota))
            else:
                (directory / "cpu.max").write_text(f"{quota} {PERIOD_US}")
            (directory / "cgroup.procs").write_text(str(pid))
            applied[name] = millicores
        return applied

    def throttled_seconds(self) -> dict[str, float]:
        """Time each group's processes were held back by their quota so far, by name."""
        found = {}
        for directory in self._made:
            if directory == self.group:
                continue
            stat = dict(
                line.split(maxsplit=1)
                for line in (directory / "cpu.stat").read_text().splitlines()
                if " " in line
            )
            if "throttled_time" in stat:  # v1: nanoseconds
                found[directory.name] = int(stat["throttled_time"]) / 1e9
            elif "throttled_usec" in stat:  # v2: microseconds
                found[directory.name] = int(stat["throttled_usec"]) / 1e6
        return found

    def remove(self) -> None:
        """The groups, innermost first (their processes have ended; a group still holding
        one is left, and says so)."""
        for directory in reversed(self._made):
            try:
                directory.rmdir()
            except OSError as error:
                print(f"cpu limits: {directory} left ({error.strerror})", flush=True)
        self._made.clear()

    def _make(self, directory: Path) -> Path:
        for path in (self.group, directory):
            if path not in self._made:
                path.mkdir(exist_ok=True)
                self._made.append(path)
                if path == self.group and self.version == 2:
                    # v2 gives a group's children the cpu controller only when it says so.
                    (path / "cgroup.subtree_control").write_text("+cpu")
        return directory


def cgroup_root(roots: tuple[Path, ...] = CGROUP_ROOTS) -> tuple[Path, int]:
    """The ``cpu`` controller's root and its cgroup version, or an error that says what is
    missing."""
    for root in roots:
        if (root / "cpu.cfs_quota_us").exists() or (root / "cpu.shares").exists():
            return root, 1
        controllers = root / "cgroup.subtree_control"
        if controllers.exists() and "cpu" in controllers.read_text().split():
            return root, 2
    raise RuntimeError(
        "--cpu-limit needs the cpu cgroup controller, writable (cgroup v1's /sys/fs/cgroup/cpu"
        " or cgroup v2 with cpu in cgroup.subtree_control) and root"
    )


@contextlib.contextmanager
def cpu_limits(
    millicores: Mapping[str, int], run_id: str, roots: tuple[Path, ...] = CGROUP_ROOTS
) -> Iterator[CpuLimits | None]:
    """The run's limits (``None`` when none are asked for), their groups removed at the end."""
    if not millicores:
        yield None
        return
    root, version = cgroup_root(roots)
    limits = CpuLimits(millicores, root / f"etapa-bench-{run_id}", version)
    try:
        yield limits
    finally:
        limits.remove()
