"""Starting a Jupyter server in a test: a free port, and waiting until it answers.

Shared by the JupyterLab test (a student's server from the course kit) and the formgrader
test (the instructor's server in the course folder).
"""

from __future__ import annotations

import socket
import subprocess
import time
import urllib.request
from collections.abc import Callable

import pytest


def free_port() -> int:
    """A TCP port on localhost that nothing listens on right now."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_until_serving(
    base: str, token: str, process: subprocess.Popen, log: Callable[[], str], seconds: int = 120
) -> None:
    """Poll ``base``'s ``/api/status`` until the server answers.

    If the server exits first, or does not answer within ``seconds``, it is killed and the
    test fails with the end of its log (``log()`` is read only after the kill, so a piped
    stderr cannot block).
    """
    deadline = time.monotonic() + seconds
    while True:
        try:
            with urllib.request.urlopen(f"{base}/api/status?token={token}", timeout=5):
                return
        except OSError:
            exited = process.poll() is not None
            if exited or time.monotonic() > deadline:
                process.kill()
                process.wait()
                why = "exited" if exited else f"did not answer in {seconds} s"
                pytest.fail(f"the Jupyter server {why}:\n{log()[-3000:]}")
            time.sleep(1)
