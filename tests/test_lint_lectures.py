"""scripts/lint_lectures.py: a page's code cells are linted, and findings point back at them."""

from __future__ import annotations

import functools
import importlib.util
import subprocess
import sys
from pathlib import Path

import pytest

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


BADLY_FORMATTED = """\
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
```

Prose with `code`  and  double  spaces, left alone.

```{code-cell} ipython3
---
tags: [hide-input]
mystnb:
  figure:
    caption: A caption
---

%matplotlib inline
rates = np.array([0.1,0.05,
    0.025])
print( rates )
```

```{code-cell} ipython3
:tags: [remove-cell]

assert  rates.size == 3
```
"""
FORMATTED_CELL_2 = """\
%matplotlib inline
rates = np.array([0.1, 0.05, 0.025])
print(rates)
"""


def test_a_badly_formatted_cell_is_reported_at_its_page_cell_and_line(tmp_path: Path) -> None:
    done = lint(tmp_path, BADLY_FORMATTED)
    assert done.returncode == 1, done.stdout + done.stderr
    findings = [line for line in done.stdout.splitlines() if ": format:" in line]
    # cell 2's second line (md line 27; the magic on its first line is left alone) and
    # cell 3's first line (md line 35), each shown with the change ruff format makes
    assert [f.split(": format:")[0].rsplit("page.md:", 1)[1] for f in findings] == [
        "cell 2:line 2 (md line 27)",
        "cell 3:line 1 (md line 35)",
    ], done.stdout
    assert "    - rates = np.array([0.1,0.05," in done.stdout
    assert "    + rates = np.array([0.1, 0.05, 0.025])" in done.stdout
    assert "    + assert rates.size == 3" in done.stdout


def test_format_rewrites_only_the_cell_bodies(tmp_path: Path) -> None:
    page = tmp_path / "page.md"
    page.write_text(BADLY_FORMATTED)
    done = subprocess.run(
        [sys.executable, str(SCRIPT), "--format", str(page)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert "formatted" in done.stdout and "1 pages clean" in done.stdout
    expected = BADLY_FORMATTED.replace(
        "%matplotlib inline\nrates = np.array([0.1,0.05,\n    0.025])\nprint( rates )\n",
        FORMATTED_CELL_2,
    ).replace("assert  rates.size", "assert rates.size")
    assert expected != BADLY_FORMATTED
    # front matter, options (with the blank lines after them), markdown: byte for byte
    assert page.read_text() == expected
    assert lint(tmp_path, expected).returncode == 0


HIDDEN = """\
---
jupytext:
  text_representation:
    format_name: myst
kernelspec:
  display_name: Python 3
  name: python3
---

```{code-cell} ipython3
from myst_nb import glue

rates = [0.1, 0.05]
```

```{code-cell} ipython3
:tags: [remove-cell]

best = min(rates)
for i, rate in enumerate(rates):
    glue(f"rate-{i}", rate)
glue("best", best)
```

```{code-cell} ipython3
i = 0
print(i, [rate for rate in rates], best)
```
"""


def test_a_hidden_cell_that_defines_what_a_later_cell_reads_is_reported(tmp_path: Path) -> None:
    done = lint(tmp_path, HIDDEN)
    assert done.returncode == 1, done.stdout + done.stderr
    findings = [line for line in done.stdout.splitlines() if "hidden-cell" in line]
    # `best` is read by the last cell; `i` (bound again first) and `rate` (a comprehension's
    # own variable) are not reads of the hidden cell's names
    assert len(findings) == 1, done.stdout
    assert (
        findings[0]
        .split("page.md:")[1]
        .startswith(
            "cell 2:line 1 (md line 19): hidden-cell: `best` is defined in a hidden cell "
            "and read by cell 3 (md line 27)"
        )
    )
    keys = [line for line in done.stdout.splitlines() if "glue-key" in line]
    assert len(keys) == 1 and "cell 2:line 3 (md line 21)" in keys[0], done.stdout
    assert "f'rate-{i}'" in keys[0]
    fixed = HIDDEN.replace(
        'for i, rate in enumerate(rates):\n    glue(f"rate-{i}", rate)\n',
        'glue("rate-0", rates[0])\n',
    ).replace(", best)", ", min(rates))")
    done = lint(tmp_path, fixed)
    assert done.returncode == 0, done.stdout + done.stderr


@functools.cache
def load_script():
    spec = importlib.util.spec_from_file_location("lint_lectures", SCRIPT)
    module = importlib.util.module_from_spec(spec)
    sys.modules["lint_lectures"] = module  # dataclasses look their module up there
    spec.loader.exec_module(module)
    return module


def page_of(*cells: tuple[str, str]) -> str:
    """A page of code cells, each given as (tag or "", source)."""
    blocks = [
        "```{code-cell} ipython3\n" + (f":tags: [{tag}]\n\n" if tag else "") + source + "\n```\n"
        for tag, source in cells
    ]
    return "# A page\n\n" + "\n".join(blocks)


@pytest.mark.parametrize(
    ("hidden", "later", "read"),
    [
        ("x = 1", "print(x)", True),
        ("x = 1", "x = 2\nprint(x)", False),  # bound again before it is read
        ("x = 1", "x += 1", True),
        ("x = 1", "x = x + 1", True),
        ("def f():\n    return 1", "y = f()", True),
        ("import math", "def g():\n    return math.pi", True),  # read inside a function
        ("i = 0", "for i in range(3):\n    print(i)", False),  # the loop binds it first
        ("k = 1", "print([k for k in range(2)])", False),  # the comprehension's own k
        ("k = 1", "print([k + j for j in range(2)])", True),
        ("x = 1", "def h(x):\n    return x", False),  # a parameter
        ("t = 1", "f = lambda t: t", False),
        ("e = 1", "try:\n    pass\nexcept ValueError as e:\n    print(e)", False),
    ],
)
def test_names_a_later_cell_reads_from_a_hidden_cell(
    tmp_path: Path, hidden: str, later: str, read: bool
) -> None:
    lint_lectures = load_script()
    for tag in ("remove-cell", "remove-input"):
        page = tmp_path / "page.md"
        page.write_text(page_of((tag, hidden), ("", later)))
        findings = lint_lectures.cell_checks(page)
        assert bool(findings) == read, findings
        assert all("cell 1:line 1" in f and "read by cell 2" in f for f in findings)
    # a shown cell may define what later cells use, even with its input folded away
    page.write_text(page_of(("hide-input", hidden), ("", later)))
    assert lint_lectures.cell_checks(page) == []


def test_a_name_bound_again_by_a_shown_cell_is_not_the_hidden_cells(tmp_path: Path) -> None:
    lint_lectures = load_script()
    page = tmp_path / "page.md"
    page.write_text(page_of(("remove-cell", "x = 1"), ("", "x = 5"), ("", "print(x)")))
    assert lint_lectures.cell_checks(page) == []
