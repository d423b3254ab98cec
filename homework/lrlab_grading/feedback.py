"""Feedback that never shows the hidden tests (nbgrader puts them in: jupyter/nbgrader#917).

``nbgrader generate_feedback`` renders the *autograded* notebook, in which autograde has put
the hidden tests back into the test cells, and whose outputs came from running them. Hiding
the hidden regions of the source (what nbgrader's ``ClearHiddenTests`` does) is not enough:

* a failing hidden test's traceback quotes the test's code;
* the submission ran in the same process as the tests, so its code can print them: a function
  the tests call can read its caller's source, and a later cell can print IPython's input
  history ``In``. Any such output, however encoded, could carry them.

:class:`HideHiddenTests` therefore, in every code cell that holds hidden tests, removes the
hidden regions and replaces all outputs with the grader's verdict (the cell's first output,
written by the grader at autograde time, never by the kernel); and it drops the
outputs of every code cell that ran after the first hidden test. What is left of the
submission's output came from code that ran before any hidden test existed in its process.
"""

from __future__ import annotations

from typing import Any

from nbformat import NotebookNode
from nbgrader.preprocessors import NbGraderPreprocessor

from .sandbox import VERDICT_PASSED

BEGIN, END = "BEGIN HIDDEN TESTS", "END HIDDEN TESTS"
NO_VERDICT = "No verdict of the grader was recorded for this cell; ask your instructor."


def strip_hidden(source: str) -> str:
    lines, hidden = [], False
    for line in source.split("\n"):
        if BEGIN in line:
            hidden = True
            lines.append("# (hidden tests ran here; they are not shown)")
        elif END in line:
            hidden = False
        elif not hidden:
            lines.append(line)
    return "\n".join(lines)


def verdict(outputs: list[NotebookNode]) -> str:
    """The grader's verdict on a graded cell: its first output, which only the grader writes.

    Autograde (``lrlab_grading.sandbox.grader_outputs``) puts its verdict first in every
    autograded cell and turns whatever the kernel sent into plain text after it, so an error
    the kernel raised, whatever its class is called (``GraderCheckFailed`` included), is never
    first and never shown here.
    """
    first = outputs[0] if outputs else None
    if first is None:
        return NO_VERDICT
    if first.get("output_type") == "stream" and first.get("text", "").startswith(VERDICT_PASSED):
        return "All tests in this cell passed."
    if first.get("output_type") == "error" and first.get("ename") == "GraderCheckFailed":
        return (
            f"Tests in this cell failed: {first.get('evalue', '')}. Details of hidden tests "
            "are not shown; run the visible tests in your notebook."
        )
    return NO_VERDICT


class HideHiddenTests(NbGraderPreprocessor):
    """Strip hidden tests and everything that could quote them from the feedback notebook."""

    def preprocess(self, nb: NotebookNode, resources: Any) -> tuple[NotebookNode, Any]:
        first_hidden = next(
            (i for i, c in enumerate(nb.cells) if c.cell_type == "code" and BEGIN in c.source),
            None,
        )
        for i, cell in enumerate(nb.cells):
            if cell.cell_type != "code":
                continue
            if BEGIN in cell.source:
                text = verdict(cell.get("outputs", []))
                cell.source = strip_hidden(cell.source)
                cell.outputs = [NotebookNode(output_type="stream", name="stdout", text=text)]
            elif first_hidden is not None and i > first_hidden and cell.get("outputs"):
                note = "(Output not shown: this cell ran after hidden tests.)"
                cell.outputs = [NotebookNode(output_type="stream", name="stdout", text=note)]
        return nb, resources
