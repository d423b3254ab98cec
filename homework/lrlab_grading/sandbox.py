"""Run each submission in a sandboxed kernel, and survive whatever the submission does.

nbgrader's own ``Execute`` preprocessor starts whatever kernel the notebook names, as the
instructor, with the instructor's files in reach. ``homework/nbgrader_config.py`` replaces it
with :class:`SandboxedExecute`, which

* starts the ``lrlab-sandbox`` kernelspec only (``kernels/lrlab-sandbox``: bubblewrap around
  ``ipykernel_launcher``), whatever the notebook's metadata says, through
  :class:`SandboxKernelManager`, which talks to it over unix sockets in a private directory
  (the sandbox has no network, so the usual TCP on loopback cannot work);
* stops the whole ``nbgrader autograde`` run with :class:`SandboxUnavailable` when that kernel
  cannot start: a grading run either is sandboxed or does not happen;
* turns a kernel that dies (``os._exit``, the CPU limit, the memory limit) or ignores the
  interrupt after the per-cell timeout into a recorded result: the cell gets an error output
  with the reason, every later cell an error saying it was not run, so their tests score zero
  and the rest of the class is graded as usual;
* keeps at most ``max_output_bytes`` of output per cell as it arrives (nbgrader's
  ``LimitOutput`` trims lines only after the whole output is in memory);
* runs the trusted checks of :mod:`lrlab_grading.checks` right after the cells they belong to,
  and then writes the graded cell's outputs itself (:func:`grader_outputs`): first the
  grader's verdict, then what the kernel sent, made inert (an ``execute_result`` becomes a
  display, ``stderr`` and errors become plain text), so nothing the kernel prints, displays
  or raises can decide or pre-empt a score. An autograded cell without a trusted check is a
  configuration error that stops the run;
* confines each kernel to a cgroup of its own where the host allows (:mod:`.limits`: total
  memory, processes and CPU of the whole sandbox), gives each notebook a wall-clock budget
  and a cap on executed cells, and lets display updates change only the running cell's
  outputs, counted against the same output cap.

The homework lecture (``lectures/homework_one_cycle.md``) shows the assignment itself.
"""

from __future__ import annotations

import importlib
import json
import os
import re
import shutil
import signal
import tempfile
import time
from pathlib import Path
from typing import Any

from jupyter_client.kernelspec import KernelSpecManager
from jupyter_client.manager import AsyncKernelManager
from jupyter_core.utils import run_sync
from nbclient.exceptions import CellTimeoutError, DeadKernelError
from nbformat import NotebookNode
from nbgrader.preprocessors import Execute
from traitlets import Dict, Enum, Integer, Unicode, default

from . import limits

KERNELS_DIR = Path(__file__).resolve().parent / "kernels"
KERNEL_NAME = "lrlab-sandbox"
EXIT_SANDBOX_ERROR = 70  # launch.py's exit status when it refuses to build the sandbox
CONFINE_MARKER = "/lrlab-sandbox/confine.py"  # in the kernel's command line (launch.py)


class SandboxUnavailable(KeyboardInterrupt):
    """The sandboxed kernel did not start: stop grading the whole class.

    A ``KeyboardInterrupt`` on purpose: nbgrader catches every ``Exception`` per submission,
    logs it and moves on to the next student, which would grade nobody and bury the cause.
    It re-raises ``KeyboardInterrupt`` after removing the half-made ``autograded/`` folder,
    so the run ends at once, with this message, and can simply be repeated once fixed.
    """


class SandboxKernelManager(AsyncKernelManager):
    """An ``AsyncKernelManager`` for the sandboxed kernelspec, over unix sockets.

    Each manager makes a private directory (mode 0700) for its connection file and sockets;
    ``launch.py`` binds exactly that directory into the sandbox. Only ``kernels/`` is
    searched for kernelspecs, so a notebook cannot ask for an unsandboxed kernel.
    """

    cpu_seconds = Integer(600, help="CPU seconds for the whole kernel (RLIMIT_CPU).").tag(
        config=True
    )
    memory_bytes = Integer(6 * 1024**3, help="Address-space limit (RLIMIT_AS).").tag(config=True)
    file_bytes = Integer(64 * 1024**2, help="Largest file it may write (RLIMIT_FSIZE).").tag(
        config=True
    )
    tmp_bytes = Integer(256 * 1024**2, help="Size of its private /tmp.").tag(config=True)
    sandbox_memory_bytes = Integer(
        4 * 1024**3, help="Resident memory of the whole sandbox, all processes (cgroup)."
    ).tag(config=True)
    max_pids = Integer(
        256, help="Processes and threads alive at once in the whole sandbox (cgroup)."
    ).tag(config=True)
    cpus = Integer(1, help="CPU cores' worth of time for the whole sandbox (cgroup).").tag(
        config=True
    )
    cgroups = Enum(
        ["auto", "required", "off"],
        "auto",
        help=(
            "Whole-sandbox limits with cgroups: 'auto' uses them when the host allows and "
            "warns otherwise, 'required' refuses to start a kernel without them."
        ),
    ).tag(config=True)

    @default("kernel_spec_manager")
    def _kernel_spec_manager_default(self) -> KernelSpecManager:
        return KernelSpecManager(kernel_dirs=[str(KERNELS_DIR)])

    @default("transport")
    def _transport_default(self) -> str:
        return "ipc"

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.private_dir = Path(tempfile.mkdtemp(prefix="lrlab-kernel-"))
        self.connection_file = str(self.private_dir / "kernel.json")
        self.transport = "ipc"
        self.ip = str(self.private_dir / "ipc")
        self.cgroup: limits.SandboxCgroup | None = None

    async def start_kernel(self, **kwargs: Any) -> None:
        # launch.py reads its limits from the environment it is started with.
        env = dict(kwargs.pop("env", None) or os.environ)
        env.update(
            LRLAB_SANDBOX_CPU_SECONDS=str(self.cpu_seconds),
            LRLAB_SANDBOX_MEMORY_BYTES=str(self.memory_bytes),
            LRLAB_SANDBOX_FILE_BYTES=str(self.file_bytes),
            LRLAB_SANDBOX_TMP_BYTES=str(self.tmp_bytes),
        )
        env.pop("LRLAB_SANDBOX_CGROUP_PROCS", None)
        if self.cgroups != "off":
            self.cgroup, why_not = limits.make(self.sandbox_memory_bytes, self.max_pids, self.cpus)
            if self.cgroup is not None:
                env["LRLAB_SANDBOX_CGROUP_PROCS"] = os.pathsep.join(self.cgroup.procs_files)
            elif self.cgroups == "required":
                raise RuntimeError(f"cgroups are required but cannot be used: {why_not}")
            else:
                self.log.warning("No whole-sandbox limits (only per-process rlimits): %s", why_not)
        await super().start_kernel(env=env, **kwargs)

    @property
    def sandbox_log(self) -> str:
        """What bwrap and the kernel wrote to stdout/stderr (instructor's eyes only)."""
        try:
            return (self.private_dir / "sandbox.log").read_text(errors="replace")[-4000:]
        except OSError:
            return ""

    async def _async_cleanup_resources(self, restart: bool = False) -> None:
        await super()._async_cleanup_resources(restart=restart)
        self.remove_cgroup()
        if not restart:
            shutil.rmtree(self.private_dir, ignore_errors=True)

    def remove_cgroup(self) -> None:
        """Kill whatever is left of the sandbox (children included) and drop its cgroup."""
        if self.cgroup is not None:
            self.cgroup.remove()
            self.cgroup = None

    # AsyncKernelManager binds this name to the base class's function, not to the method.
    cleanup_resources = _async_cleanup_resources


def _error_output(ename: str, message: str) -> NotebookNode:
    return NotebookNode(
        output_type="error", ename=ename, evalue=message, traceback=[f"{ename}: {message}"]
    )


def _describe_exit(returncode: int | None, cpu_seconds: object) -> str:
    if returncode is None:
        return "the kernel stopped responding"
    # bwrap reports a child killed by signal N as exit status 128 + N
    sig = -returncode if returncode < 0 else returncode - 128 if returncode > 128 else 0
    if sig == signal.SIGXCPU:
        return f"the kernel used up its CPU-time limit ({cpu_seconds} s) and was stopped"
    if sig == signal.SIGKILL:
        return "the kernel was killed (CPU-time hard limit, or out of memory)"
    if sig:
        return f"the kernel was killed by signal {signal.Signals(sig).name}"
    return f"the kernel exited with status {returncode} (sys.exit/os._exit or a crash)"


class GradingMisconfigured(KeyboardInterrupt):
    """The course configuration cannot grade this notebook (stops the run, like a failed start)."""


# Errors of the hidden tests worth naming to the student, and the messages of the hidden tests
# that carry no text of the submission's making beyond numbers; anything else is reported
# only as "an exception" (the kernel chose its name and message).
KNOWN_ERRORS = frozenset(
    {
        "AssertionError", "AttributeError", "IndexError", "KeyError", "KeyboardInterrupt",
        "MemoryError", "NameError", "NotImplementedError", "OverflowError", "RecursionError",
        "RuntimeError", "TypeError", "ValueError", "ZeroDivisionError", "ImportError",
        "ModuleNotFoundError",
    }
)  # fmt: skip
SAFE_MESSAGES = (
    re.compile(r"one_cycle differs from torch's OneCycleLR at \d+ of \d+ hidden points"),
    re.compile(r"one_cycle must compute the rate itself, not call torch's OneCycleLR"),
    re.compile(r"re-run: \d+ of 360 validation images right \(\d\.\d+\), below the target 0\.95"),
    re.compile(r"the schedule's peak must be max_lr"),
    re.compile(r"a 1cycle schedule starts low, peaks at max_lr, and ends below where it started"),
)
VERDICT_PASSED = "Grader: all tests in this cell passed."


def is_autograded(cell: NotebookNode) -> bool:
    """A test cell: graded, not an answer, code (nbgrader scores it from its outputs)."""
    meta = cell.get("metadata", {}).get("nbgrader", {})
    return (
        cell.get("cell_type") == "code"
        and bool(meta.get("grade"))
        and not meta.get("solution")
        and not meta.get("task")
    )


def describe_kernel_error(output: NotebookNode) -> str:
    """A kernel error as the grader may repeat it: a known name, a known message, or neither."""
    ename, evalue = str(output.get("ename", "")), str(output.get("evalue", ""))
    if ename not in KNOWN_ERRORS:
        return "an exception"
    shown = next((m.group(0) for p in SAFE_MESSAGES if (m := p.match(evalue))), "")
    return f"{ename}: {shown}" if shown else ename


def inert(output: NotebookNode) -> NotebookNode:
    """A kernel output kept as evidence that nbgrader cannot score (it reads the first
    ``execute_result``, error or ``stderr``)."""
    kind = output.get("output_type")
    if kind == "execute_result":
        return NotebookNode(
            output_type="display_data",
            data=output.get("data", {}),
            metadata=output.get("metadata", {}),
        )
    if kind == "stream":
        return NotebookNode(output_type="stream", name="stdout", text=output.get("text", ""))
    if kind == "error":
        lines = output.get("traceback") or [f"{output.get('ename')}: {output.get('evalue')}"]
        return NotebookNode(
            output_type="stream", name="stdout", text="\n".join(map(str, lines)) + "\n"
        )
    return output


def grader_outputs(kernel_outputs: list[NotebookNode], failure: str | None) -> list[NotebookNode]:
    """The graded cell's outputs: the grader's verdict first, then the kernel's, inert."""
    if failure is None:
        verdict = NotebookNode(output_type="stream", name="stdout", text=VERDICT_PASSED + "\n")
    else:
        verdict = _error_output("GraderCheckFailed", failure)
    return [verdict, *(inert(o) for o in kernel_outputs)]


class SandboxedExecute(Execute):
    """nbgrader's ``Execute``, in the sandbox, recording kernel deaths instead of failing."""

    kernel_name = Unicode(KERNEL_NAME, help="Kernelspec to run; only kernels/ is searched.")

    max_output_bytes = Integer(
        1_000_000,
        help="Output kept per cell, counted as it arrives; the rest is dropped with a note.",
    ).tag(config=True)

    trusted_checks = Dict(
        {},
        help=(
            "grade_id -> 'module:function' run after that cell, outside the kernel's control "
            "(see lrlab_grading.checks). A failing check adds an error output to the cell."
        ),
    ).tag(config=True)

    notebook_seconds = Integer(
        600, help="Wall-clock budget of one notebook, all cells and the grader's checks."
    ).tag(config=True)
    max_cells = Integer(200, help="Code cells executed at most per notebook.").tag(config=True)

    @default("iopub_timeout")
    def _iopub_timeout_default(self) -> int:
        # After a timeout nbgrader interrupts the kernel and waits this long for it to go
        # idle before the cell counts as hung; nbclient's 4 s is short on a busy machine.
        return 15

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("kernel_manager_class", SandboxKernelManager)
        super().__init__(**kwargs)
        if not issubclass(self.kernel_manager_class, SandboxKernelManager):
            raise SandboxUnavailable(
                "SandboxedExecute.kernel_manager_class must be a SandboxKernelManager"
            )

    # -- the notebook ------------------------------------------------------------------

    def preprocess(
        self, nb: NotebookNode, resources: Any = None, km: Any = None
    ) -> tuple[NotebookNode, Any]:
        # Same steps as nbconvert's ExecutePreprocessor.preprocess, with the kernel start
        # separated from the cells, so that a start failure is told apart from a submission
        # that kills its kernel.
        from nbclient import NotebookClient

        NotebookClient.__init__(self, nb, km)
        self.reset_execution_trackers()
        self._check_assign_resources(resources)
        self._stopped: str | None = None
        self._output_bytes: dict[int, int] = {}
        self._grader_notes: dict[int, list[NotebookNode]] = {}
        self._current_index = -1
        self._executed = 0
        unchecked = sorted(
            str(c.metadata.nbgrader.get("grade_id"))
            for c in nb.cells
            if is_autograded(c) and c.metadata.nbgrader.get("grade_id") not in self.trusted_checks
        )
        if unchecked:
            message = (
                f"autograded cells without a trusted check: {', '.join(unchecked)}. Every "
                "autograded cell needs one in c.SandboxedExecute.trusted_checks "
                "(homework/nbgrader_config.py): the kernel's own output never decides a score"
            )
            self.log.critical(message)
            raise GradingMisconfigured(message)
        self.kernel_name = KERNEL_NAME  # the notebook's own kernelspec is never used
        where = (resources or {}).get("metadata", {}).get("path", "?")
        try:
            context = self.setup_kernel()
            context.__enter__()
        except Exception as exc:
            self._fail_to_start(exc, where)
        try:
            try:
                info_msg = self.wait_for_reply(self.kc.kernel_info())
            except Exception as exc:
                self._fail_to_start(exc, where)
            self.nb.metadata["language_info"] = info_msg["content"]["language_info"]
            self._deadline = time.monotonic() + self.notebook_seconds
            for index, cell in enumerate(self.nb.cells):
                self.preprocess_cell(cell, resources, index)
        finally:
            km = self.km  # nbclient forgets it while cleaning up
            context.__exit__(None, None, None)
            if isinstance(km, SandboxKernelManager):
                shutil.rmtree(km.private_dir, ignore_errors=True)
        self.set_widgets_metadata()
        return self.nb, self.resources

    def _fail_to_start(self, exc: BaseException, where: str) -> None:
        km = self.km
        log = km.sandbox_log if isinstance(km, SandboxKernelManager) else ""
        try:
            if km is not None and km.has_kernel:
                run_sync(km.shutdown_kernel)(now=True)
        except Exception:
            pass
        message = (
            "The sandboxed grading kernel could not start, so no submission is graded "
            f"(while starting the kernel for {where}: {type(exc).__name__}: {exc}). "
            "Check that bubblewrap works: `bwrap --ro-bind / / true` and "
            "homework/README.md. Sandbox log:\n" + (log or "(empty)")
        )
        self.log.critical(message)
        raise SandboxUnavailable(message) from exc

    # -- one cell ----------------------------------------------------------------------

    def preprocess_cell(self, cell: NotebookNode, resources: Any, index: int) -> Any:
        self._check_assign_resources(resources)
        if cell.cell_type != "code":
            return cell, self.resources
        self._current_index = index
        remaining = self._deadline - time.monotonic()
        if self._stopped is None and remaining <= 0:
            self._stopped = (
                f"the notebook used up its wall-clock budget of {self.notebook_seconds} s"
            )
        if self._stopped is None and self._executed >= self.max_cells:
            self._stopped = f"the notebook has more than {self.max_cells} code cells"
        if self._stopped is not None:
            cell.outputs = []
            self._note(cell, index, "NotRun", f"not run: {self._stopped}")
        else:
            self._execute(cell, index)
        if is_autograded(cell):
            self._grade(cell, index)
        return cell, self.resources

    def _execute(self, cell: NotebookNode, index: int) -> None:
        self._executed += 1
        started = time.monotonic()
        try:
            self.execute_cell(cell, index, store_history=True)
        except DeadKernelError:
            self._stop(cell, index, "KernelDied", self._exit_reason())
        except (CellTimeoutError, TimeoutError, RuntimeError) as exc:
            # After the timeout nbgrader interrupts the kernel; a kernel that ignores the
            # interrupt never answers, and nbclient gives up waiting for its output.
            self._kill_kernel()
            self._stop(
                cell,
                index,
                "KernelKilled",
                f"the cell did not finish within {self.timeout} s and the kernel ignored the "
                f"interrupt, so it was killed ({type(exc).__name__})",
            )
        else:
            if time.monotonic() - started >= self._get_timeout(None) - 1:
                # Interrupted at the timeout: what the cell started must not live on.
                cgroup = getattr(self.km, "cgroup", None)
                if cgroup is not None:
                    killed = cgroup.kill_descendants_of_kernel(CONFINE_MARKER)
                    if killed:
                        self.log.warning("Cell %d: killed %d leftover processes", index, killed)

    def _get_timeout(self, cell: NotebookNode | None) -> int:
        # The per-cell timeout, but never past the notebook's own budget.
        remaining = getattr(self, "_deadline", time.monotonic() + 1e9) - time.monotonic()
        return max(1, int(min(self.timeout, remaining + 1)))

    def _grade(self, cell: NotebookNode, index: int) -> None:
        """Decide the cell's points here and write its outputs (see :func:`grader_outputs`)."""
        notes = self._grader_notes.get(index, [])
        kernel_outputs = [o for o in cell.get("outputs", []) if not any(o is n for n in notes)]
        failure = None
        if notes:
            failure = "; ".join(f"{n['ename']}: {n['evalue']}" for n in notes)
        else:
            errors = [o for o in kernel_outputs if o.get("output_type") == "error"]
            if errors:
                failure = "the tests in this cell failed: " + "; ".join(
                    describe_kernel_error(e) for e in errors
                )
            else:
                failure = self._run_trusted_check(cell, index)
        cell.outputs = grader_outputs(kernel_outputs, failure)

    def _note(self, cell: NotebookNode, index: int, ename: str, reason: str) -> None:
        note = _error_output(ename, reason)
        cell.setdefault("outputs", []).append(note)
        self._grader_notes.setdefault(index, []).append(note)

    def _stop(self, cell: NotebookNode, index: int, ename: str, reason: str) -> None:
        self._note(cell, index, ename, reason)
        self._stopped = f"the grading kernel stopped in an earlier cell ({reason})"
        self.log.warning("Cell %d: %s: %s", index, ename, reason)

    def _exit_reason(self) -> str:
        km = self.km
        returncode = None
        process = getattr(getattr(km, "provisioner", None), "process", None)
        if process is not None:
            try:
                returncode = process.wait(timeout=5)
            except Exception:
                returncode = process.poll()
        if isinstance(km, SandboxKernelManager):
            self.log.warning("Sandbox log of the dead kernel:\n%s", km.sandbox_log)
        cpu = getattr(km, "cpu_seconds", "?")
        return _describe_exit(returncode, cpu)

    def _kill_kernel(self) -> None:
        process = getattr(getattr(self.km, "provisioner", None), "process", None)
        if process is not None and process.poll() is None:
            process.kill()  # bwrap --die-with-parent takes the sandbox down with it
            try:
                process.wait(timeout=10)
            except Exception:
                pass

    # -- output --------------------------------------------------------------------------

    def output(
        self, outs: list[NotebookNode], msg: dict[str, Any], display_id: Any, cell_index: int
    ) -> NotebookNode | None:
        size = len(json.dumps(msg.get("content", {}), default=str))
        used = self._output_bytes.get(cell_index, 0)
        self._output_bytes[cell_index] = used + size
        if used + size <= self.max_output_bytes:
            return super().output(outs, msg, display_id, cell_index)
        if used <= self.max_output_bytes:
            room = self.max_output_bytes - used
            if msg.get("msg_type") == "stream" and room > 0:
                # ipykernel sends what a cell prints in batches: keep the start of this one.
                content = dict(msg["content"], text=str(msg["content"].get("text", ""))[:room])
                super().output(outs, dict(msg, content=content), display_id, cell_index)
            note = NotebookNode(
                output_type="stream",
                name="stderr",
                text=f"\n[output truncated by the grader after {self.max_output_bytes} bytes]\n",
            )
            outs.append(note)
        return None

    def _update_display_id(self, display_id: str, msg: dict[str, Any]) -> None:
        # A display shown in an earlier cell and updated later (after the hidden tests ran)
        # could rewrite that earlier output with anything: only the running cell's own
        # outputs may change, and every update counts against its output cap.
        index = self._current_index
        size = len(json.dumps(msg.get("content", {}), default=str))
        used = self._output_bytes.get(index, 0)
        self._output_bytes[index] = used + size
        if used + size > self.max_output_bytes:
            return
        cells = self._display_id_map.get(display_id, {})
        own = {index: cells[index]} if index in cells else {}
        saved, self._display_id_map[display_id] = cells, own
        try:
            super()._update_display_id(display_id, msg)
        finally:
            if display_id in self._display_id_map:
                self._display_id_map[display_id] = saved

    # -- trusted checks ------------------------------------------------------------------

    def _run_trusted_check(self, cell: NotebookNode, index: int) -> str | None:
        grade_id = cell.get("metadata", {}).get("nbgrader", {}).get("grade_id")
        module_name, _, function_name = self.trusted_checks[grade_id].partition(":")
        check = getattr(importlib.import_module(module_name), function_name)
        try:
            failure = check(self, cell, index)
        except (DeadKernelError, CellTimeoutError, TimeoutError) as exc:
            self._kill_kernel()
            reason = f"during the grader's own check: {type(exc).__name__}"
            self._stopped = f"the grading kernel stopped in an earlier cell ({reason})"
            return f"KernelDied: {reason}"
        if failure:
            self.log.warning("Trusted check %s failed: %s", grade_id, failure)
        return failure or None
