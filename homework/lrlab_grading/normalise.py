"""Rewrite a submission's nbgrader metadata from the gradebook before anything reads it.

A student's notebook carries nbgrader metadata in every cell, and the student can edit it:
copy a test cell (its ``grade_id`` comes along), write another ``schema_version``, add
``"locked": true`` to an answer cell, or invent a graded cell. Plain nbgrader then stops the
*whole* autograde run (a schema it does not know, a duplicated id in some steps) or carries
the edit into grading (``locked`` on an answer cell survives its ``OverwriteCells``).

:class:`NormaliseSubmission` runs first in autograde's sanitising step and makes the cell
metadata what the instructor released, taken from the gradebook (written by
``nbgrader generate_assignment``), never from the submission:

* a cell whose ``grade_id`` is in the gradebook gets exactly the gradebook's flags (grade,
  solution, locked, task, points) and the current schema version; only its first occurrence
  does: later copies become ordinary cells of the student (logged, naming the student);
* every other cell loses its nbgrader metadata: it is the student's own cell;
* metadata that is not a dictionary is dropped the same way.

What cannot be repaired (a notebook nbformat cannot read) fails that one submission with an
error naming the student; ``nbgrader autograde`` goes on with the others and names the
failures at the end.
"""

from __future__ import annotations

from typing import Any

from nbformat import NotebookNode
from nbgrader.api import Gradebook, MissingEntry
from nbgrader.nbgraderformat import SCHEMA_VERSION
from nbgrader.preprocessors import NbGraderPreprocessor


class BadSubmission(ValueError):
    """This submission cannot be graded automatically (nbgrader reports it, goes on)."""


def released_cells(resources: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """grade_id -> the nbgrader metadata the instructor released, from the gradebook."""
    info = resources.get("nbgrader", {})
    cells: dict[str, dict[str, Any]] = {}
    with Gradebook(info["db_url"]) as gb:
        try:
            notebook = gb.find_notebook(info["notebook"], info["assignment"])
        except MissingEntry as exc:
            raise BadSubmission(
                f"notebook {info['notebook']!r} is not part of assignment {info['assignment']!r}"
            ) from exc
        solutions = {c.name for c in notebook.solution_cells}
        graded = {c.name: float(c.max_score) for c in notebook.grade_cells}
        tasks = {c.name: float(c.max_score) for c in notebook.task_cells}
        for source in notebook.source_cells:
            meta: dict[str, Any] = {
                "grade": source.name in graded,
                "solution": source.name in solutions,
                "locked": bool(source.locked),
                "grade_id": source.name,
                "schema_version": SCHEMA_VERSION,
            }
            if source.name in graded:
                meta["points"] = graded[source.name]
            if source.name in tasks:
                meta["task"] = True
                meta["points"] = tasks[source.name]
            cells[source.name] = meta
    return cells


class NormaliseSubmission(NbGraderPreprocessor):
    """Replace the submission's nbgrader metadata by the released one (see module doc)."""

    def preprocess(self, nb: NotebookNode, resources: Any) -> tuple[NotebookNode, Any]:
        student = resources.get("nbgrader", {}).get("student", "?")
        released = released_cells(resources)
        seen: set[str] = set()
        nb.metadata.pop("nbgrader", None)  # notebook-level flags are the gradebook's business
        for index, cell in enumerate(nb.cells):
            meta = cell.get("metadata", {}).get("nbgrader")
            if meta is None:
                continue
            grade_id = meta.get("grade_id") if isinstance(meta, dict) else None
            if not isinstance(grade_id, str) or grade_id not in released:
                del cell.metadata["nbgrader"]
                continue
            if grade_id in seen:
                self.log.warning(
                    "Student %s: cell %d repeats the released cell %r (copied?); it is graded "
                    "as the student's own code, the first one counts",
                    student,
                    index,
                    grade_id,
                )
                del cell.metadata["nbgrader"]
                continue
            seen.add(grade_id)
            cell.metadata["nbgrader"] = NotebookNode(dict(released[grade_id]))
        return nb, resources
