"""nbgrader configuration of the course: the 1cycle homework, graded in a sandbox.

Run every nbgrader command from this folder (``cd homework``): that is how nbgrader finds
this file. ``homework/README.md`` walks through the round trip and explains the sandbox. What
this file changes from plain nbgrader, and why:

* autograde runs each submission in the ``lrlab-sandbox`` kernel (bubblewrap: no network, no
  course files, CPU and memory limits) and survives kernels that hang or die
  (``lrlab_grading.sandbox``); it refuses submissions that contain links
  (``lrlab_grading.intake``), and re-checks the graded cells itself
  (``lrlab_grading.checks``);
* feedback never shows hidden tests (``lrlab_grading.feedback``);
* ``zip_collect`` reads the LMS's download itself (``lrlab_grading.collect``): ids only from
  the LMS's own names, presets for plain names, Canvas and Moodle;
* student HTML is made inert before formgrader or feedback shows it (``lrlab_grading.inert``).
"""

import os
import sys

# Thread policy of the grader's own process, set here because every nbgrader command (and
# each classgrade worker) reads this file before anything imports torch, which reads the
# variable once. The trusted checks re-train the digits network in this process; with one
# thread, as in the grading kernel (kernels/lrlab-sandbox/launch.py), torch adds up in the
# same order and the re-run gives the notebook's numbers (a run on two threads can end a
# few validation images apart).
os.environ["OMP_NUM_THREADS"] = "1"

# The grading package lives next to this file, not in the course's Python environment.
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from lrlab_grading.feedback import HideHiddenTests
from lrlab_grading.inert import InertHTML
from lrlab_grading.intake import RejectLinks
from lrlab_grading.normalise import NormaliseSubmission
from lrlab_grading.sandbox import SandboxedExecute
from nbconvert.preprocessors import ClearMetadataPreprocessor, CSSHTMLHeaderPreprocessor
from nbgrader.preprocessors import (
    AssignLatePenalties,
    CheckCellMetadata,
    ClearOutput,
    DeduplicateIds,
    GetGrades,
    IgnorePattern,
    LimitOutput,
    OverwriteCells,
    OverwriteKernelspec,
    SaveAutoGrades,
)

c = get_config()  # noqa: F821 - provided by nbgrader when it loads this file

c.CourseDirectory.root = os.path.dirname(os.path.abspath(__file__))
c.CourseDirectory.course_id = "lrlab"
# nbgrader releases every file of source/<assignment>/; the MyST source there holds the
# solutions and hidden tests, so it must never be copied (homework/tools/release.py).
c.CourseDirectory.ignore = [".ipynb_checkpoints", "*.pyc", "__pycache__", "feedback", "*.md"]

# -- autograde: nbgrader's own steps, with Execute replaced by the sandboxed one ------------
c.Autograde.sanitize_preprocessors = [
    RejectLinks,
    NormaliseSubmission,  # nbgrader metadata from the gradebook, never from the student
    ClearOutput,
    DeduplicateIds,
    OverwriteKernelspec,
    OverwriteCells,
    CheckCellMetadata,
]
c.Autograde.autograde_preprocessors = [
    SandboxedExecute,
    IgnorePattern,
    ClearMetadataPreprocessor,
    LimitOutput,
    SaveAutoGrades,
    AssignLatePenalties,
    CheckCellMetadata,
]
c.SandboxedExecute.timeout = 60  # seconds per cell (wall clock); the training cell takes ~1 s
c.SandboxedExecute.startup_timeout = 60
c.SandboxedExecute.max_output_bytes = 1_000_000  # per cell, display updates included
c.SandboxedExecute.notebook_seconds = 600  # wall clock for the whole notebook
c.SandboxedExecute.max_cells = 200  # code cells executed at most
# Every autograded cell needs an entry: the grader's verdict decides its points (a cell
# without one stops autograde with an error naming it).
c.SandboxedExecute.trusted_checks = {
    "one_cycle_two_phase_cos": "lrlab_grading.checks:check_two_phase_cos",
    "one_cycle_linear": "lrlab_grading.checks:check_linear",
    "one_cycle_three_phase": "lrlab_grading.checks:check_three_phase",
    "one_cycle_validation": "lrlab_grading.checks:check_rules",
    "train_to_target": "lrlab_grading.checks:check_training",
    # schedules (homework/assignments/schedules.py)
    "warmup_cosine_tests": "assignments.schedules:check_warmup_cosine",
    "cosine_restarts_tests": "assignments.schedules:check_cosine_restarts",
    "warmup_stable_decay_tests": "assignments.schedules:check_warmup_stable_decay",
    "schedules_validation": "assignments.schedules:check_validation",
    "train_with_schedule_to_target": "assignments.schedules:check_training",
    # adam (homework/assignments/adam.py)
    "adam_tests": "assignments.adam:check_adam",
    "adamw_tests": "assignments.adam:check_adamw",
    "adam_state_dict_tests": "assignments.adam:check_state_dict",
    "adam_validation": "assignments.adam:check_validation",
}
c.SandboxKernelManager.cpu_seconds = 600  # of CPU time for the whole notebook
c.SandboxKernelManager.memory_bytes = 6 * 1024**3  # address space; torch maps a lot it never uses
# For the whole sandbox (all its processes), with cgroups: "auto" uses them where the host
# allows (README: "What needs what from the host"), "required" refuses to grade without.
c.SandboxKernelManager.cgroups = "auto"
c.SandboxKernelManager.sandbox_memory_bytes = 4 * 1024**3  # resident memory, all processes
c.SandboxKernelManager.max_pids = 256  # processes and threads
c.SandboxKernelManager.cpus = 1  # cores' worth of CPU time
c.LimitOutput.max_lines = 300
c.LimitOutput.max_traceback = 60

# -- feedback: no hidden tests, in any form ---------------------------------------------------
c.GenerateFeedback.preprocessors = [GetGrades, HideHiddenTests, CSSHTMLHeaderPreprocessor]

# -- zip_collect: the LMS's "download all" archive, read by lrlab_grading.collect --------------
# Ids come only from the LMS's own names; nothing inside a student's upload names anybody.
# Set the preset of your LMS: "plain" (<student id>_[<YYYY-MM-DD-HHMMSS>_]<assignment>.ipynb),
# "canvas" or "moodle" (homework/README.md, "Collecting from an LMS").
c.ZipCollectApp.extractor_plugin = "lrlab_grading.collect.LMSExtractor"
c.ZipCollectApp.collector_plugin = "lrlab_grading.collect.LMSCollector"
c.LMSExtractor.lms = "plain"

# -- what a browser shows: student HTML made inert (lrlab_grading.inert) -----------------------
# At the end of autograde (autograded/ holds the cleaned notebook), in feedback, and in every
# HTML export, which includes the pages formgrader shows the instructor.
c.Autograde.autograde_preprocessors = [*c.Autograde.autograde_preprocessors, InertHTML]
c.GenerateFeedback.preprocessors = [*c.GenerateFeedback.preprocessors, InertHTML]
c.HTMLExporter.preprocessors = [InertHTML]
