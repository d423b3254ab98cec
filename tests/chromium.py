"""Debian chromium, launched the same way by every browser test (book, JupyterLab, formgrader).

The browser a reader or instructor meets on a Debian machine (``apt-get install chromium``,
scripts/install-system-packages.sh), not Playwright's downloaded build, which would need the
internet at test time.
"""

from __future__ import annotations

import shutil
from pathlib import Path

from playwright.sync_api import Browser, Playwright

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
# --no-sandbox: the tests run as root, where chromium refuses its own sandbox. The others keep
# chromium from calling home (updates, sync, first-run pages), so that any request a test sees
# comes from the page under test.
FLAGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


def launch(playwright: Playwright) -> Browser:
    """Headless Debian chromium with :data:`FLAGS`."""
    assert Path(CHROMIUM).exists(), "Debian chromium is missing: scripts/install-system-packages.sh"
    return playwright.chromium.launch(executable_path=CHROMIUM, args=FLAGS, headless=True)
