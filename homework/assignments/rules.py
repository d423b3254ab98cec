"""The course-wide rules on student code, for the assignments' own checks.

The names come from ``lrlab_grading.checks`` (one list for the whole course, which the
homework pages repeat); this module applies them to the cells a student wrote and adds an
assignment's own forbidden names. Names count where they are used in code, never in comments
or strings: a docstring that says "like torch.optim.Adam" is honest and costs nothing.
"""

from __future__ import annotations

from typing import Any


def violation(nb: Any, forbidden: dict[str, frozenset[str]], message: str) -> str | None:
    """The first broken rule, as a message for the student, or None.

    ``forbidden`` maps an answer cell's grade id (or ``"*"`` for every student cell) to names
    it must not use in code; ``message`` is returned when one of them is used.
    """
    from lrlab_grading import checks  # the grading package, next to this folder

    for cell in checks.student_code_cells(nb):
        names = checks.names_in(cell.source)
        used = (names & checks.TAMPERING_NAMES) | (
            checks.bare_names_in(cell.source) & checks.BARE_TAMPERING_NAMES
        )
        if used:
            return (
                f"your code uses {', '.join(sorted(used))}, which this homework does not allow: "
                "code that inspects or rewrites the running program could change how it is graded"
            )
        grade_id = cell.get("metadata", {}).get("nbgrader", {}).get("grade_id")
        banned = forbidden.get("*", frozenset()) | forbidden.get(grade_id, frozenset())
        if names & banned:
            return message
    return None


def bad_arguments_verdict(
    executor: Any, index: int, calls: list, expression: str, what: str
) -> str | None:
    """The grader's verdict on an answer's argument checks: every one of ``calls`` must raise
    ValueError. ``expression``, evaluated in the kernel, names what each call raised; ``what``
    names the answer for the message ("functions", "classes")."""
    from lrlab_grading import checks

    answer = checks.probe(executor, index, expression)
    if not isinstance(answer, list) or len(answer) != len(calls):
        return f"the grader could not read back how your {what} handle bad arguments"
    missed = [calls[i] for i, verdict in enumerate(answer) if verdict != "ValueError"]
    if missed:
        return f"{len(missed)} bad arguments did not raise ValueError, e.g. {missed[0]}"
    return None
