"""Limits for a whole sandbox (every process in it), with cgroups where the host allows.

``setrlimit`` (``launch.py``) limits each process on its own: three forked children may each
use the whole address-space limit, and as root the process-count limit does not apply. A
cgroup counts the sandbox as one: :class:`SandboxCgroup` makes one child cgroup per kernel,
under the grading process's own cgroup, in each of the controllers

* ``memory``: ``memory.limit_in_bytes``, the resident memory of all processes together (the
  kernel's out-of-memory killer stops a process in the group, never one outside it);
* ``pids``: ``pids.max``, processes *and threads* together (a fork bomb stops there);
* ``cpu``: ``cpu.cfs_quota_us``, at most ``cpus`` cores' worth of time for the whole group,
  so children that keep burning CPU cannot take the machine from the other graders;

``launch.py`` puts itself into them before it becomes ``bwrap``, so everything it starts is
inside. On cgroup v2 the same is done in one directory (``memory.max``, ``pids.max``,
``cpu.max``), if the grading process's cgroup is delegated to it (writable). When none of
this is possible (no permission, no controller), :func:`make` returns None with the reason,
and the caller decides (``SandboxKernelManager.cgroups``: ``auto`` warns and goes on with the
rlimits alone, ``required`` refuses to start the kernel).
"""

from __future__ import annotations

import contextlib
import os
import secrets
import signal
import time
from pathlib import Path

CGROUP_ROOT = Path("/sys/fs/cgroup")
V1_CONTROLLERS = ("memory", "pids", "cpu")
CPU_PERIOD_US = 100_000


def _own_cgroup_v1(controller: str) -> Path | None:
    """This process's cgroup directory in a v1 hierarchy with ``controller``, if mounted."""
    try:
        lines = Path("/proc/self/cgroup").read_text().splitlines()
    except OSError:
        return None
    for line in lines:
        _, names, path = line.split(":", 2)
        if controller in names.split(","):
            base = CGROUP_ROOT / controller
            return base / path.lstrip("/") if base.is_dir() else None
    return None


def _own_cgroup_v2() -> Path | None:
    try:
        lines = Path("/proc/self/cgroup").read_text().splitlines()
    except OSError:
        return None
    for line in lines:
        if line.startswith("0::"):
            base = CGROUP_ROOT if (CGROUP_ROOT / "cgroup.controllers").exists() else None
            return base / line[3:].lstrip("/") if base else None
    return None


class SandboxCgroup:
    """The cgroup directories of one sandbox; :meth:`remove` kills what is left and deletes them."""

    def __init__(self, dirs: list[Path]) -> None:
        self.dirs = dirs

    @property
    def procs_files(self) -> list[str]:
        """The files ``launch.py`` writes its pid into (all controllers)."""
        return [str(d / "cgroup.procs") for d in self.dirs]

    def pids(self) -> list[int]:
        found: set[int] = set()
        for d in self.dirs:
            with contextlib.suppress(OSError, ValueError):
                found.update(int(x) for x in (d / "cgroup.procs").read_text().split())
        return sorted(found)

    def kill_all(self) -> None:
        for _ in range(20):
            pids = self.pids()
            if not pids:
                return
            for pid in pids:
                with contextlib.suppress(OSError):
                    os.kill(pid, signal.SIGKILL)
            time.sleep(0.05)

    def kill_descendants_of_kernel(self, marker: str) -> int:
        """Kill every process in the group started by the kernel (not the kernel itself).

        The kernel is the process whose command line holds ``marker`` (and is not ``bwrap``,
        which carries the kernel's command line as arguments) and whose parent is not such a
        process; children it forked keep its command line, so parentage decides.
        """
        parents: dict[int, int] = {}
        kernel_like: set[int] = set()
        for pid in self.pids():
            try:
                stat = Path(f"/proc/{pid}/stat").read_text()
                args = Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")
            except OSError:
                continue
            parents[pid] = int(stat.rsplit(")", 1)[1].split()[1])
            if marker.encode() in args and not args[0].endswith(b"bwrap"):
                kernel_like.add(pid)
        kernels = sorted(p for p in kernel_like if parents.get(p) not in kernel_like)
        if len(kernels) != 1:
            return 0
        kernel, killed = kernels[0], 0
        for pid in parents:
            ancestor, hops = parents.get(pid), 0
            while ancestor is not None and ancestor != kernel and hops < 64:
                ancestor, hops = parents.get(ancestor), hops + 1
            if ancestor == kernel:
                with contextlib.suppress(OSError):
                    os.kill(pid, signal.SIGKILL)
                    killed += 1
        return killed

    def memory_peak(self) -> int | None:
        for d in self.dirs:
            for name in ("memory.max_usage_in_bytes", "memory.peak"):
                with contextlib.suppress(OSError, ValueError):
                    return int((d / name).read_text())
        return None

    def remove(self) -> None:
        self.kill_all()
        for d in self.dirs:
            for _ in range(20):
                try:
                    d.rmdir()
                    break
                except FileNotFoundError:
                    break
                except OSError:
                    time.sleep(0.05)


def make(memory_bytes: int, max_pids: int, cpus: float) -> tuple[SandboxCgroup | None, str]:
    """A fresh cgroup with these limits, or (None, why not)."""
    name = "lrlab-sandbox-" + secrets.token_hex(6)
    if (CGROUP_ROOT / "memory").is_dir():
        made: list[Path] = []
        try:
            for controller in V1_CONTROLLERS:
                parent = _own_cgroup_v1(controller)
                if parent is None:
                    raise OSError(f"no cgroup v1 {controller} controller")
                d = parent / name
                d.mkdir()
                made.append(d)
                if controller == "memory":
                    (d / "memory.limit_in_bytes").write_text(str(memory_bytes))
                    # without swap accounting the limit holds for RAM; with it, for both
                    with contextlib.suppress(OSError):
                        (d / "memory.memsw.limit_in_bytes").write_text(str(memory_bytes))
                elif controller == "pids":
                    (d / "pids.max").write_text(str(max_pids))
                else:
                    (d / "cpu.cfs_period_us").write_text(str(CPU_PERIOD_US))
                    (d / "cpu.cfs_quota_us").write_text(str(int(cpus * CPU_PERIOD_US)))
            return SandboxCgroup(made), ""
        except OSError as exc:
            SandboxCgroup(made).remove()
            return None, f"cgroup v1: {exc}"
    parent = _own_cgroup_v2()
    if parent is None:
        return None, "no cgroup hierarchy found under /sys/fs/cgroup"
    d = parent / name
    try:
        d.mkdir()
        (d / "memory.max").write_text(str(memory_bytes))
        (d / "memory.swap.max").write_text("0")
        (d / "pids.max").write_text(str(max_pids))
        (d / "cpu.max").write_text(f"{int(cpus * CPU_PERIOD_US)} {CPU_PERIOD_US}")
    except OSError as exc:
        SandboxCgroup([d] if d.exists() else []).remove()
        return None, f"cgroup v2 (needs a delegated, writable cgroup): {exc}"
    return SandboxCgroup([d]), ""
