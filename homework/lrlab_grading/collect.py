"""``nbgrader zip_collect`` that no uploaded file can steer: one notebook per LMS id.

nbgrader's own extractor unpacks every archive it finds, recursively, into one folder, and its
collector reads the student id from each file's name wherever it sits. So a student who uploads
a zip can put a file named for another student inside it and replace that student's work; a
member called ``../x`` is written outside the folder; a small upload can expand without limit;
and one broken archive stops the collection of the whole class.

:class:`LMSExtractor` reads the LMS's download itself instead. The student id comes only from
the LMS's own name for a submission (a top-level entry of the download: a file, or a folder
for Moodle), parsed by one of the :data:`PRESETS`. Inside a student's submission (their
notebook, or an archive they uploaded) nothing is trusted: the extractor looks for the one file
named ``<assignment>.ipynb`` and reads at most ``max_notebook_bytes`` of it, without ever
writing a path taken from an archive. What it writes is always
``extracted/<student id>/<assignment>.ipynb`` (plus ``extracted/<student id>/<timestamp>/`` when
the LMS name carries a submission time), which :class:`LMSCollector` files into
``submitted/``. A submission that cannot be read safely is left out and named at the end, with
the reason; everybody else is collected.
"""

from __future__ import annotations

import io
import re
import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from nbgrader.plugins import ExtractorPlugin, FileNameCollectorPlugin
from traitlets import Int, Unicode, validate

# A student id as nbgrader stores and shows it: letters, digits and . _ @ + -, not starting
# with a dot (so never "." or ".."), at most 100 characters. It names a folder in submitted/.
STUDENT_ID = re.compile(r"(?!\.)[A-Za-z0-9._@+-]{1,100}")
TIMESTAMP = r"\d{4}-\d{2}-\d{2}[-T]\d{6}"


@dataclass(frozen=True)
class Preset:
    """How one LMS names the submissions in its "download all" archive.

    ``pattern`` matches the name of a top-level entry (``{assignment}`` is replaced by the
    assignment id); it has a ``student_id`` group and may have ``timestamp`` and ``order``
    (a number that grows with each resubmission, to keep the newest of two).
    """

    pattern: str
    example: str

    def match(self, name: str, assignment: str) -> re.Match[str] | None:
        regex = self.pattern.replace("{assignment}", re.escape(assignment))
        return re.fullmatch(regex, name)


PRESETS: dict[str, Preset] = {
    # <student id>_[<YYYY-MM-DD-HHMMSS>_]<assignment>.ipynb|.zip, e.g. an instructor's own zip.
    "plain": Preset(
        rf"(?P<student_id>[^/]+?)_(?:(?P<timestamp>{TIMESTAMP})_)?{{assignment}}\.(?:ipynb|zip)",
        "jdoe_2026-05-01-120000_one_cycle.ipynb",
    ),
    # Canvas "Download Submissions": <sortable name>_[LATE_]<user id>_<submission id>_<file
    # name as uploaded, "-1", "-2" added on resubmission>.
    "canvas": Preset(
        r"[^_/]*_(?:LATE_)?(?P<student_id>\d+)_(?P<order>\d+)_"
        r"{assignment}(?:-\d+)?\.(?:ipynb|zip)",
        "doejane_LATE_123456_7890123_one_cycle-1.ipynb",
    ),
    # Moodle "Download all submissions": a folder per student,
    # "<full name>_<participant id>_assignsubmission_file" (older versions: one file per
    # student, "<full name>_<participant id>_assignsubmission_file_<file name>").
    "moodle": Preset(
        r"[^/]*?_(?P<student_id>\d+)_assignsubmission_file_?"
        r"(?:/.*|{assignment}\.(?:ipynb|zip))?",
        "Jane Doe_123456_assignsubmission_file/one_cycle.ipynb",
    ),
}


class Refused(ValueError):
    """One submission cannot be collected safely; the reason is said to the instructor."""


@dataclass
class Submission:
    student_id: str
    source: str  # the LMS's name for it, for messages
    notebook: bytes
    timestamp: str | None
    order: int


class LMSExtractor(ExtractorPlugin):
    """Read the LMS downloads in ``downloaded/<assignment>/archive/``, trusting no content."""

    lms = Unicode(
        "plain", help=f"Naming preset of the LMS download: one of {sorted(PRESETS)}."
    ).tag(config=True)
    max_upload_bytes = Int(20 * 2**20, help="Largest file one student may upload.").tag(config=True)
    max_notebook_bytes = Int(16 * 2**20, help="Largest notebook, once unpacked.").tag(config=True)
    max_download_bytes = Int(4 * 2**30, help="Largest total a download may unpack to.").tag(
        config=True
    )

    @validate("lms")
    def _known_preset(self, proposal: dict[str, Any]) -> str:
        if proposal["value"] not in PRESETS:
            raise ValueError(
                f"LMSExtractor.lms must be one of {sorted(PRESETS)}, not {proposal['value']!r}"
            )
        return proposal["value"]

    def extract(self, archive_path: str, extracted_path: str) -> None:
        # zip_collect calls this with downloaded/<assignment>/archive.
        assignment = Path(archive_path).parent.name
        preset = PRESETS[self.lms]
        chosen: dict[str, Submission] = {}
        problems: list[str] = []
        for path in sorted(Path(archive_path).rglob("*")):
            if path.is_symlink() or not path.is_file():
                continue
            try:
                found = list(self._submissions_in(path, preset, assignment))
            except Refused as error:
                problems.append(f"{path.name}: {error}")
                continue
            for item in found:
                if isinstance(item, str):
                    problems.append(item)
                    continue
                old = chosen.get(item.student_id)
                if old is None or _newness(item) > _newness(old):
                    chosen[item.student_id] = item
                if old is not None:
                    kept = chosen[item.student_id].source
                    problems.append(
                        f"{item.student_id}: two submissions, {old.source} and {item.source}; "
                        f"kept {kept}"
                    )
        for sub in chosen.values():
            folder = Path(extracted_path) / sub.student_id
            if sub.timestamp:
                folder = folder / sub.timestamp
            folder.mkdir(parents=True, exist_ok=True)
            (folder / f"{assignment}.ipynb").write_bytes(sub.notebook)
        self.log.info("Collected %d submission(s) of %s", len(chosen), assignment)
        if problems:
            self.log.warning(
                "Needs a look (left out, or resolved as said; the download is untouched):\n  %s",
                "\n  ".join(problems),
            )

    def _submissions_in(self, path: Path, preset: Preset, assignment: str):
        """Yield the submissions (or problem strings) in one file of the archive folder."""
        if path.stat().st_size > self.max_download_bytes:
            raise Refused(f"larger than {self.max_download_bytes} bytes")
        own = self._parse(path.name, preset, assignment)
        if own is not None:  # one student's file, named by the LMS (or the instructor)
            yield self._submission(own, path.name, path.read_bytes(), assignment)
            return
        if not zipfile.is_zipfile(path):
            raise Refused(f"not named like a {self.lms!r} submission ({preset.example})")
        # An LMS "download all" archive: its top-level names are the LMS's; each student's part
        # is one entry (a file), or for Moodle a folder of entries.
        unpacked = 0
        with zipfile.ZipFile(path) as bulk:
            for info in bulk.infolist():
                if info.is_dir():
                    continue
                name = info.filename
                try:
                    own = self._parse(name, preset, assignment)
                except Refused as error:
                    yield f"{path.name}/{name}: {error}"
                    continue
                if own is None:
                    yield f"{path.name}/{name}: not named like a {self.lms!r} submission"
                    continue
                if self.lms == "moodle" and name.count("/") == 1:
                    if Path(name).name not in (f"{assignment}.ipynb", f"{assignment}.zip"):
                        continue  # another file the student handed in beside the notebook
                elif name.count("/"):
                    yield f"{path.name}/{name}: inside a folder the LMS does not make"
                    continue
                try:
                    data = _read_capped(bulk, info, self.max_upload_bytes)
                    unpacked += len(data)
                    if unpacked > self.max_download_bytes:
                        raise Refused("the download unpacks to more than the limit; stopped here")
                    yield self._submission(own, name, data, assignment)
                except Refused as error:
                    yield f"{path.name}/{name} ({own['student_id']}): {error}"
                except (zipfile.BadZipFile, OSError, RuntimeError, EOFError) as error:
                    yield f"{path.name}/{name} ({own['student_id']}): unreadable ({error})"

    @staticmethod
    def _parse(name: str, preset: Preset, assignment: str) -> dict[str, str] | None:
        match = preset.match(name, assignment)
        if match is None:
            return None
        found = match.groupdict()
        if not STUDENT_ID.fullmatch(found["student_id"]):
            raise Refused(f"student id {found['student_id']!r} is not allowed")
        return found

    def _submission(
        self, own: dict[str, str], source: str, data: bytes, assignment: str
    ) -> Submission:
        if len(data) > self.max_upload_bytes:
            raise Refused(f"upload larger than {self.max_upload_bytes} bytes")
        if source.endswith(".zip") or zipfile.is_zipfile(io.BytesIO(data)):
            data = self._notebook_in_upload(data, assignment)
        elif len(data) > self.max_notebook_bytes:
            raise Refused(f"notebook larger than {self.max_notebook_bytes} bytes")
        return Submission(
            student_id=own["student_id"],
            source=source,
            notebook=data,
            timestamp=own.get("timestamp"),
            order=int(own.get("order") or 0),
        )

    def _notebook_in_upload(self, data: bytes, assignment: str) -> bytes:
        """The one ``<assignment>.ipynb`` in an archive a student uploaded, by name only."""
        try:
            with zipfile.ZipFile(io.BytesIO(data)) as upload:
                wanted = [
                    info
                    for info in upload.infolist()
                    if not info.is_dir()
                    and info.filename.rsplit("/", 1)[-1] == f"{assignment}.ipynb"
                ]
                if len(wanted) != 1:
                    raise Refused(
                        f"the uploaded archive holds {len(wanted)} files named "
                        f"{assignment}.ipynb, not one"
                    )
                return _read_capped(upload, wanted[0], self.max_notebook_bytes)
        except zipfile.BadZipFile as error:
            raise Refused(f"the uploaded archive is broken ({error})") from error


def _newness(sub: Submission) -> tuple[str, int]:
    """Order of two submissions of one student: the later timestamp, then the later upload."""
    return (sub.timestamp or "", sub.order)


def _read_capped(archive: zipfile.ZipFile, info: zipfile.ZipInfo, limit: int) -> bytes:
    """A member's bytes, refusing past ``limit`` whatever its header claims (zip bombs lie)."""
    if info.file_size > limit:
        raise Refused(f"unpacks to {info.file_size} bytes, over the limit of {limit}")
    if (info.external_attr >> 16) & 0o170000 == 0o120000:
        raise Refused("a symbolic link, not a file")
    with archive.open(info) as member:
        data = member.read(limit + 1)
    if len(data) > limit:
        raise Refused(f"unpacks to more than the limit of {limit} bytes")
    return data


class LMSCollector(FileNameCollectorPlugin):
    """File what :class:`LMSExtractor` wrote: ``<student id>/[<timestamp>/]<notebook>.ipynb``."""

    def collect(self, submitted_file: str) -> dict[str, str] | None:
        parts = Path(submitted_file).parts
        if "extracted" not in parts or not submitted_file.endswith(".ipynb"):
            return None
        rest = parts[len(parts) - 1 - parts[::-1].index("extracted") + 1 :]
        if len(rest) not in (2, 3) or not STUDENT_ID.fullmatch(rest[0]):
            self.log.warning("Not written by LMSExtractor, skipped: %s", submitted_file)
            return None
        info = {"student_id": rest[0], "file_id": rest[-1]}
        if len(rest) == 3:
            if not re.fullmatch(TIMESTAMP, rest[1]):
                return None
            info["timestamp"] = rest[1]
        return info
