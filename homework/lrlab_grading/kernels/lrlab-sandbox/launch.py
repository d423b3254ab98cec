"""Start an IPython kernel for grading inside a bubblewrap sandbox, or refuse to start.

This is the ``argv`` of the ``lrlab-sandbox`` kernelspec next to this file; nbgrader's
autograde step reaches it through ``lrlab_grading.sandbox.SandboxKernelManager`` (see
``homework/README.md``). It runs with the grading process's own Python and only builds the
sandbox, then replaces itself with ``bwrap``; it never runs student code itself.

What the kernel sees (everything else of the machine is absent, not just unreadable):

* the Python environment that runs nbgrader (the venv, the interpreter it points to, and the
  directories that ``.pth`` files add, such as the editable ``lrlab`` checkout), read-only;
  ``/usr`` read-only, a fresh ``/proc`` and ``/dev``, and a small private ``/scratch``, the
  only place it can write to of its own (``HOME`` and ``TMPDIR``; the rest is read-only);
* at the path of its working directory, a read-only *copy* of that directory without any
  notebook. nbgrader runs the kernel in ``autograded/<student>/<assignment>/``, where the
  notebook it is grading already holds the hidden tests, so the original must stay outside;
* the private directory that holds its connection file, read-write: with the network
  namespace unshared, the kernel and nbgrader talk over unix sockets there (``ipc``
  transport), never TCP.

Inside, ``confine.py`` adds a Landlock rule set before it starts ``ipykernel_launcher``: the
kernel cannot create anything in its private directory but sockets, nor write outside
``/scratch``, so it cannot fill the grader's disk through the one host directory it shares.

It cannot reach the network, other students' folders, ``source/``, ``release/``,
``feedback/`` or ``gradebook.db``; it gets no capabilities, no terminal (``--new-session``)
and no environment variables of the instructor's shell. Resource limits (CPU seconds, address
space, file size, no core dumps) are set here with ``setrlimit`` and inherited by ``bwrap`` and
the kernel. Anything unexpected (no ``bwrap``, a TCP connection file, a bind that would expose
the course) stops here with a message on stderr and exit status 70, before any student code
runs; the grading process then stops the whole run instead of grading unsandboxed.
"""

from __future__ import annotations

import json
import os
import resource
import shutil
import site
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
# lrlab_grading/kernels/lrlab-sandbox/launch.py -> the nbgrader course root
COURSE_ROOT = HERE.parents[2]

DEFAULT_LIMITS = {
    # CPU seconds of the whole kernel process (all threads): a backstop behind the per-cell
    # wall-clock timeout, which an uninterruptible loop can outlast.
    "LRLAB_SANDBOX_CPU_SECONDS": 600,
    # Address space: torch maps far more than it touches, so this is generous on purpose.
    "LRLAB_SANDBOX_MEMORY_BYTES": 6 * 1024**3,
    "LRLAB_SANDBOX_FILE_BYTES": 64 * 1024**2,
    "LRLAB_SANDBOX_TMP_BYTES": 256 * 1024**2,
}
# Largest total size of the non-notebook files copied into the sandbox's working directory.
MAX_WORKDIR_BYTES = 64 * 1024**2
CONFINE_INSIDE = "/lrlab-sandbox/confine.py"
SCRATCH = "/scratch"  # the kernel's only writable place of its own (HOME and TMPDIR)
EXIT_SANDBOX_ERROR = 70  # EX_SOFTWARE: the grading process recognises it as "sandbox failed"


def die(message: str) -> None:
    print(f"lrlab-sandbox: refusing to start the grading kernel: {message}", file=sys.stderr)
    sys.exit(EXIT_SANDBOX_ERROR)


def parse_args(argv: list[str]) -> tuple[Path, list[str]]:
    if len(argv) < 2 or argv[0] != "-f":
        die("usage: launch.py -f CONNECTION_FILE [kernel arguments...]")
    return Path(argv[1]), argv[2:]


def private_dir_of(connection_file: Path) -> Path:
    """The directory to bind read-write: it must hold this kernel's connection file only."""
    try:
        info = json.loads(connection_file.read_text())
    except (OSError, ValueError) as exc:
        die(f"cannot read the connection file {connection_file}: {exc}")
    if info.get("transport") != "ipc":
        die(
            "the connection file asks for transport "
            f"{info.get('transport')!r}; the sandbox has no network, so it needs 'ipc' "
            "(use lrlab_grading.sandbox.SandboxKernelManager, which sets it)"
        )
    private = connection_file.resolve().parent
    ip = Path(str(info.get("ip", "")))
    if not ip.is_absolute() or ip.resolve().parent != private:
        die(f"the ipc socket prefix {ip} must lie in the connection file's directory {private}")
    extra = sorted(p.name for p in private.iterdir() if p.name != connection_file.name)
    if extra:
        die(f"{private} must hold nothing but the connection file, found {extra}")
    if private == Path("/tmp") or private == Path.home() or len(private.parts) < 3:
        die(f"{private} is not a private directory")
    return private


def copy_workdir(src: Path, dest: Path) -> None:
    """Copy the kernel's working directory without notebooks, links or hidden files."""
    total = 0
    dest.mkdir()
    for root, dirs, files in os.walk(src, followlinks=False):
        rel = Path(root).relative_to(src)
        dirs[:] = [d for d in dirs if not d.startswith(".") and not (Path(root) / d).is_symlink()]
        for d in dirs:
            (dest / rel / d).mkdir()
        for name in files:
            path = Path(root) / name
            if name.startswith(".") or name.endswith(".ipynb") or path.is_symlink():
                continue
            if not path.is_file():
                continue
            size = path.stat().st_size
            if total + size > MAX_WORKDIR_BYTES:
                # The submission's own doing: leave the file out rather than fail the start,
                # which would stop grading for the whole class.
                print(f"lrlab-sandbox: left out {path} (over {MAX_WORKDIR_BYTES} bytes in all)")
                continue
            total += size
            shutil.copyfile(path, dest / rel / name)


def python_dirs() -> list[Path]:
    """Directories the interpreter needs: prefixes and paths added by .pth files."""
    dirs = {Path(p).resolve() for p in (sys.prefix, sys.base_prefix, sys.exec_prefix)}
    dirs.add(Path(sys.executable).resolve().parent.parent)
    for sp in site.getsitepackages():
        for pth in sorted(Path(sp).glob("*.pth")):
            for line in pth.read_text(errors="replace").splitlines():
                line = line.strip()
                if line and not line.startswith(("#", "import")) and Path(line).is_dir():
                    dirs.add(Path(line).resolve())
    return sorted(dirs)


def check_not_exposing(path: Path, forbidden: Path) -> None:
    if path == forbidden or forbidden.is_relative_to(path) or path.is_relative_to(forbidden):
        die(
            f"binding {path} would expose the course directory {forbidden} "
            "(its source/, gradebook.db and other students' work) to the kernel"
        )


def root_links() -> list[str]:
    """Mirror /bin, /lib, ... as the host has them (symlinks into /usr on merged-usr systems)."""
    args: list[str] = []
    for name in ("bin", "sbin", "lib", "lib32", "lib64", "libx32"):
        p = Path("/") / name
        if p.is_symlink():
            args += ["--symlink", os.readlink(p), str(p)]
        elif p.is_dir():
            args += ["--ro-bind", str(p), str(p)]
    return args


def matplotlib_font_cache() -> list[str]:
    """Lend the kernel the grader's matplotlib font list, read-only, if there is one.

    Without it every kernel rebuilds the list from the system fonts on its first plot, which
    costs seconds per submission. The list only names font files.
    """
    base = os.environ.get("MPLCONFIGDIR") or os.path.join(
        os.environ.get("XDG_CACHE_HOME") or os.path.expanduser("~/.cache"), "matplotlib"
    )
    lists = sorted(Path(base).glob("fontlist-v*.json")) if os.path.isdir(base) else []
    args = ["--dir", f"{SCRATCH}/.cache/matplotlib"]
    for path in lists:
        args += ["--ro-bind", str(path), f"{SCRATCH}/.cache/matplotlib/{path.name}"]
    return args


def limit(name: str) -> int:
    raw = os.environ.get(name, "")
    try:
        value = int(raw) if raw else int(DEFAULT_LIMITS[name])
    except ValueError:
        die(f"{name} must be an integer, got {raw!r}")
    if value <= 0:
        die(f"{name} must be positive, got {value}")
    return value


def set_limits() -> None:
    cpu = limit("LRLAB_SANDBOX_CPU_SECONDS")
    memory = limit("LRLAB_SANDBOX_MEMORY_BYTES")
    fsize = limit("LRLAB_SANDBOX_FILE_BYTES")
    # The soft CPU limit sends SIGXCPU, the hard one SIGKILL a few seconds later.
    resource.setrlimit(resource.RLIMIT_CPU, (cpu, cpu + 5))
    resource.setrlimit(resource.RLIMIT_AS, (memory, memory))
    resource.setrlimit(resource.RLIMIT_FSIZE, (fsize, fsize))
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
    resource.setrlimit(resource.RLIMIT_NOFILE, (1024, 1024))


def join_cgroups() -> None:
    """Enter the sandbox's cgroups (made by the grading process) before becoming bwrap.

    Every process the kernel starts is born inside them, so the memory, process and CPU
    limits hold for the sandbox as a whole (``lrlab_grading.limits``).
    """
    for procs in filter(None, os.environ.get("LRLAB_SANDBOX_CGROUP_PROCS", "").split(os.pathsep)):
        try:
            Path(procs).write_text(str(os.getpid()))
        except OSError as exc:
            die(f"cannot enter the sandbox's cgroup {procs}: {exc}")


def main(argv: list[str]) -> None:
    connection_file, kernel_args = parse_args(argv)
    bwrap = shutil.which("bwrap")
    if bwrap is None:
        die("bubblewrap (bwrap) is not on PATH (Debian/Ubuntu: apt-get install bubblewrap)")
    private = private_dir_of(connection_file)
    cwd = Path.cwd().resolve()
    workdir = private / "work"
    copy_workdir(cwd, workdir)

    binds: list[str] = []
    for d in python_dirs():
        check_not_exposing(d, COURSE_ROOT)
        binds += ["--ro-bind", str(d), str(d)]
    if private.is_relative_to(COURSE_ROOT):
        die(f"the kernel's private directory {private} lies inside the course directory")
    tmp_bytes = limit("LRLAB_SANDBOX_TMP_BYTES")
    python = str(Path(sys.prefix) / "bin" / "python")

    args = [
        bwrap,
        "--unshare-user",
        "--unshare-ipc",
        "--unshare-pid",
        "--unshare-net",
        "--unshare-uts",
        "--unshare-cgroup-try",
        "--disable-userns",
        "--die-with-parent",
        "--new-session",
        "--cap-drop",
        "ALL",
        "--hostname",
        "grading-sandbox",
        "--ro-bind",
        "/usr",
        "/usr",
        *root_links(),
        "--proc",
        "/proc",
        # Host-global knobs stay read-only even when grading runs as root (a fresh /proc of
        # the sandbox's pid namespace still shows the host's sysctls).
        "--ro-bind",
        "/proc/sys",
        "/proc/sys",
        "--ro-bind-try",
        "/proc/sysrq-trigger",
        "/proc/sysrq-trigger",
        "--ro-bind-try",
        "/proc/irq",
        "/proc/irq",
        "--ro-bind-try",
        "/proc/bus",
        "/proc/bus",
        "--ro-bind-try",
        "/proc/fs",
        "/proc/fs",
        "--dev",
        "/dev",
        # /tmp only holds mount points (the private directory, and the working directory when
        # the course lies under /tmp) and is frozen below; the kernel writes to /scratch.
        "--tmpfs",
        "/tmp",
        "--size",
        str(tmp_bytes),
        "--perms",
        "1777",
        "--tmpfs",
        SCRATCH,
        "--ro-bind-try",
        "/etc/ld.so.cache",
        "/etc/ld.so.cache",
        "--ro-bind-try",
        "/etc/localtime",
        "/etc/localtime",
        "--ro-bind-try",
        "/etc/fonts",
        "/etc/fonts",
        "--ro-bind-try",
        "/sys/devices/system/cpu",
        "/sys/devices/system/cpu",
        *binds,
        *matplotlib_font_cache(),
        "--ro-bind",
        str(HERE / "confine.py"),
        CONFINE_INSIDE,
        "--bind",
        str(private),
        str(private),
        "--ro-bind",
        str(workdir),
        str(cwd),
        # The directories bwrap made to hold the mount points (such as the course folder's
        # path above the working directory) live on a writable tmpfs: freeze it.
        "--remount-ro",
        "/tmp",
        "--remount-ro",
        "/",
        "--chdir",
        str(cwd),
        "--clearenv",
        "--setenv",
        "HOME",
        SCRATCH,
        "--setenv",
        "TMPDIR",
        SCRATCH,
        "--setenv",
        "USER",
        "student",
        "--setenv",
        "LANG",
        "C.UTF-8",
        "--setenv",
        "PATH",
        f"{Path(sys.prefix) / 'bin'}:/usr/bin:/bin",
        "--setenv",
        "LRLAB_SANDBOX",
        "1",
        # One thread per kernel: graders run side by side on all cores, and torch's results
        # then match the notebook's own single-threaded training helper.
        "--setenv",
        "OMP_NUM_THREADS",
        "1",
        "--setenv",
        "MKL_NUM_THREADS",
        "1",
    ]
    if "NBGRADER_EXECUTION" in os.environ:
        args += ["--setenv", "NBGRADER_EXECUTION", os.environ["NBGRADER_EXECUTION"]]
    args += [
        "--",
        # -I: the working directory is not searched for modules (a student's
        # ipykernel_launcher.py must not replace the kernel), nor are PYTHON* variables read.
        # confine.py gives up the right to write outside /scratch, then runs the kernel.
        python,
        "-I",
        CONFINE_INSIDE,
        str(private),
        SCRATCH,
        "--",
        "-f",
        str(connection_file.resolve()),
        "--IPKernelApp.ignore_cwd=True",
        *kernel_args,
    ]
    set_limits()
    join_cgroups()
    # From here on, bwrap's own complaints and anything the kernel writes to its file
    # descriptors go to a log that the grading process reads when the kernel fails to start,
    # not to the instructor's terminal (which the sandbox must not be able to write to).
    log = os.open(private / "sandbox.log", os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
    os.dup2(log, 1)
    os.dup2(log, 2)
    os.close(log)
    os.execv(bwrap, args)


if __name__ == "__main__":
    main(sys.argv[1:])
