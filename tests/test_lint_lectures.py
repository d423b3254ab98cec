"""scripts/lint_lectures.py: a page's code cells are linted, and findings point back at them."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SCRIPT = ROOT / "scripts" / "lint_lectures.py"

PAGE = """\
---
jupytext:
  text_representation:
    format_name: myst
kernelspec:
  display_name: Python 3
  name: python3
---

# A page

```{code-cell} ipython3
import numpy as np

from lrlab.schedules import constant
```

Some prose.

```{code-cell} ipython3
:tags: [remove-cell]

%timeit constant(0.1)(np.arange(3))
print(constant(0.1)(np.arange(3)))
import math
```
"""


def lint(tmp_path: Path, text: str) -> subprocess.CompletedProcess[str]:
    page = tmp_path / "page.md"
    page.write_text(text)
    return subprocess.run(
        [sys.executable, str(SCRIPT), str(page)], capture_output=True, text=True, check=False
    )


def test_a_finding_names_page_cell_and_line(tmp_path: Path) -> None:
    done = lint(tmp_path, PAGE)
    assert done.returncode == 1, done.stdout + done.stderr
    # the magic is commented out by jupytext, not reported; the unused import is, at the
    # second code cell's third line, line 25 of the .md
    findings = [line for line in done.stdout.splitlines() if ": F" in line or ": E" in line]
    assert len(findings) == 1, done.stdout
    assert findings[0].endswith(
        "page.md:cell 2:line 3 (md line 25): F401 `math` imported but unused"
    )


def test_a_clean_page_passes_with_lrlab_first_party(tmp_path: Path) -> None:
    # numpy (third-party) and lrlab (first-party) in separate blocks is the sorted order
    done = lint(
        tmp_path,
        PAGE.replace("import math\n", "print(math)\n").replace(
            "import numpy as np\n", "import math\n\nimport numpy as np\n"
        ),
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert "1 pages clean" in done.stdout
