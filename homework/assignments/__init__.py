"""One module per nbgrader assignment: its reference solution, case generators and constants.

Each module is imported by the release tool (``homework/tools/release.py``, which fills the
hidden tests' cases and the reference code into the notebook generated from the MyST source),
by the grader's out-of-process checks (``lrlab_grading.checks`` and the assignment's own
``check_*`` functions) and by ``tests/test_assignments.py``. One home for each piece, so the
notebook, the grader and the tests cannot disagree.
"""
