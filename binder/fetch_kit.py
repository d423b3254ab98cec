"""Put the course kit's notebooks in kit/ for Binder's launch links (run by binder/postBuild).

The kit is the published book's ``course-kit.zip``. The book is published with GitHub Pages,
so its address follows from the one setting a course changes, ``repository.url`` in
``_config.yml``: https://github.com/ORG/REPO is published at https://ORG.github.io/REPO/.
Before the book is published (a fresh fork), the kit cannot be downloaded; then each MyST
lecture is written as kit/lectures/<lecture>.ipynb by jupytext instead, so the launch links
still open a notebook (one that shows MyST markup, since JupyterLab has no MyST renderer).
"""

from __future__ import annotations

import io
import sys
import urllib.request
import zipfile
from pathlib import Path

import jupytext
import yaml

ROOT = Path(__file__).resolve().parent.parent
KIT = ROOT / "kit"


def book_url() -> str:
    config = yaml.safe_load((ROOT / "_config.yml").read_text(encoding="utf-8"))
    repository = config["repository"]["url"].rstrip("/").removesuffix(".git")
    owner, name = repository.split("/")[-2:]
    return f"https://{owner.lower()}.github.io/{name}/"


def main() -> int:
    url = book_url() + "course-kit.zip"
    try:
        with urllib.request.urlopen(url, timeout=60) as response:
            data = response.read()
        zipfile.ZipFile(io.BytesIO(data)).extractall(KIT)
        print(f"course kit from {url}")
        return 0
    except (OSError, zipfile.BadZipFile) as error:
        print(f"no course kit at {url} ({error}); converting the lectures with jupytext")
    (KIT / "lectures").mkdir(parents=True, exist_ok=True)
    for source in sorted((ROOT / "lectures").glob("*.md")):
        text = source.read_text(encoding="utf-8")
        if text.startswith("---\njupytext:"):
            jupytext.write(
                jupytext.reads(text, fmt="md:myst"), KIT / "lectures" / f"{source.stem}.ipynb"
            )
    return 0


if __name__ == "__main__":
    sys.exit(main())
