"""The command line: ``lightbox deid INPUT_DIR OUTPUT_DIR [options]`` and ``lightbox render``.

``lightbox render FILE --frame N -o out.png`` writes one frame as the viewer shows it;
``lightbox render SERIES_DIR --plane coronal --position MM --slab MM --projection mip
-o out.png`` a reformatted plane or slab of the series' volume (issue 14 item 5).

The same de-identification as the browser's (:mod:`lightbox.deid.api`), for
batches: every core, a progress bar, and resumable. A manifest in the output
folder records each input (by a keyed hash of its relative path, size and
modification time, or object's ETag, so the manifest names no file) and what became of it; a
rerun skips what is done. UIDs, pseudonyms and date shifts stay consistent
across runs because the secret they derive from is kept in the output folder
(``.lightbox-deid-secret``, mode 0600).
"""

from __future__ import annotations

import argparse
import hashlib
import hmac
import json
import os
import re
import sys
import time
from collections import Counter
from collections.abc import Iterator, Sequence
from concurrent.futures import Future, ProcessPoolExecutor, ThreadPoolExecutor
from pathlib import Path
from typing import Any, TextIO

from pydicom import dcmread

from lightbox.cli import audit, cluster, store
from lightbox.cli.render import run_render
from lightbox.cli.script import add_script_command
from lightbox.cli.store import Folder
from lightbox.cli.tasks import work
from lightbox.cli.usage import UsageError
from lightbox.deid.api import (
    REPORT_NAME,
    DeidOptions,
    FileResult,
)
from lightbox.deid.export import Namer, dicomdir
from lightbox.deid.profile import load_profile
from lightbox.deid.report import report_text, summarize_counts
from lightbox.deid.walk import Change, Outcome

SECRET_FILE = ".lightbox-deid-secret"
MANIFEST_FILE = ".lightbox-deid-manifest.json"
#: Where Dask workers write each file before this process names it (then removed).
STAGING_DIR = store.STAGING_NAME
NOT_DICOM = "not a DICOM file"
#: The names this command writes (and may remove again, if no manifest records them).
OWN_NAME = re.compile(r"DICOM/PT\d{4,6}/ST\d{4,6}/SE\d{4,6}/IM\d{4,6}(\.part)?")
#: Seconds between saves of the manifest during a run.
SAVE_EVERY = 5.0
KEY_NOTE = (
    "The secret is the key file given with --key: it is not in this folder. Whoever holds "
    "it can confirm a guessed original UID: keep it apart from the shared data; the same "
    "key and options rerun give the same bytes."
)
SECRET_NOTE = (
    f"The secret is kept in {SECRET_FILE} (mode 0600) beside the files, so that a resumed "
    "run maps UIDs, pseudonyms and dates the same way. Whoever holds it can confirm a "
    f"guessed original UID: remove it and {MANIFEST_FILE} from the folder before sharing it "
    "(keep them elsewhere, and put them back, to add files later)."
)


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; returns the exit status."""
    args = _parser().parse_args(argv)
    try:
        status: int = args.run(args)
    except UsageError as exc:
        print(f"lightbox: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("\nlightbox: interrupted; run the same command again to resume", file=sys.stderr)
        return 130
    return status


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="lightbox", description="Lightbox, on the command line.")
    commands = parser.add_subparsers(dest="command", required=True)
    deid = commands.add_parser(
        "deid",
        help="de-identify a folder of DICOM files (PS3.15 Basic Profile and options)",
        description="De-identify every DICOM file under INPUT_DIR (recognised by content) "
        "into OUTPUT_DIR with neutral names, a DICOMDIR and REPORT.TXT. Rerunning "
        "skips the files already done. Either may be a folder or an fsspec URL "
        "(file://, s3://bucket/prefix, gs://, memory:// with --jobs 1).",
    )
    deid.add_argument("input", type=_folder, metavar="INPUT_DIR", nargs="?")
    deid.add_argument("output", type=_folder, metavar="OUTPUT_DIR", nargs="?")
    deid.add_argument(
        "--new-key", type=Path, metavar="FILE", help="write a new secret key to FILE and stop"
    )
    deid.add_argument(
        "--key",
        type=Path,
        metavar="FILE",
        help="the export's secret from FILE (made by --new-key): a rerun with the same key "
        "and options writes the same bytes; the key is not copied into OUTPUT_DIR",
    )
    deid.add_argument(
        "--keep-maps",
        nargs="?",
        const="",
        default=None,
        metavar="DIR",
        help="write uid_map.csv and patient_map.csv (original,new) into DIR "
        "(default OUTPUT_DIR-maps beside it), never into OUTPUT_DIR",
    )
    for flag, help_text in (
        ("--retain-safe-private", "Retain Safe Private Option (E.3.10)"),
        ("--retain-uids", "Retain UIDs Option (E.3.9)"),
        ("--retain-device-identity", "Retain Device Identity Option (E.3.8)"),
        ("--retain-institution-identity", "Retain Institution Identity Option (E.3.11)"),
        ("--retain-patient-characteristics", "Retain Patient Characteristics Option (E.3.7)"),
        ("--retain-descriptors", "keep descriptors verbatim (not a PS3.15 option)"),
        ("--clean-descriptors", "Clean Descriptors Option (E.3.5)"),
        ("--clean-structured-content", "Clean Structured Content Option (E.3.4)"),
        ("--clean-graphics", "Clean Graphics Option (E.3.3)"),
        ("--dates-to-year", "modify dates by keeping only the year"),
    ):
        deid.add_argument(flag, action="store_true", help=help_text)
    deid.add_argument(
        "--retain-longitudinal",
        choices=["off", "full", "modified"],
        default="off",
        help="Retain Longitudinal Temporal Information (E.3.6): full dates, or shifted per patient",
    )
    deid.add_argument("--burned-in", choices=["flag", "exclude", "blank"], default="flag")
    deid.add_argument(
        "--blank-rects",
        type=Path,
        metavar="JSON",
        help='rectangles to blank: {"<SOP or Series Instance UID>": [[x, y, width, height]]}',
    )
    deid.add_argument(
        "--find-text",
        action="store_true",
        help="search every image's pixels for burned-in text; report the boxes found",
    )
    deid.add_argument(
        "--blank-detected",
        action="store_true",
        help="blank the boxes of text found in the pixels (implies --find-text)",
    )
    deid.add_argument(
        "--jobs",
        "-j",
        type=int,
        default=os.cpu_count() or 1,
        help="worker processes (default: one per core); 1 runs in this process, without Dask",
    )
    deid.add_argument(
        "--scheduler",
        metavar="ADDRESS",
        help="send the work to the Dask cluster at ADDRESS (tcp://host:8786), whose workers "
        "see INPUT_DIR and have Lightbox installed; OUTPUT_DIR is written from here",
    )
    deid.add_argument(
        "--engine",
        choices=["dask", "processes"],
        default=None,
        help="for --jobs 2 or more: a local Dask cluster (the default when dask.distributed "
        "is installed) or a pool of processes without Dask",
    )
    deid.add_argument("--quiet", "-q", action="store_true", help="no progress bar")
    deid.set_defaults(run=run_deid)
    render = commands.add_parser(
        "render",
        help="render one frame, or a plane of a series' volume, to PNG as the viewer shows it",
        description="The same display pipeline the browser runs, on native CPython. "
        "FILE --frame N: one frame. SERIES_DIR (a folder of one series' files; of "
        "several series, the largest) or FILE with --plane: a reformatted plane or slab.",
    )
    render.add_argument("file", type=Path, metavar="FILE | SERIES_DIR")
    render.add_argument("--frame", type=int, default=1, help="1-based frame number (default 1)")
    render.add_argument("--window", type=float, nargs=2, metavar=("CENTER", "WIDTH"))
    render.add_argument("--invert", action="store_true")
    render.add_argument("--plane", choices=["axial", "coronal", "sagittal", "oblique"])
    render.add_argument(
        "--normal", type=float, nargs=3, metavar=("X", "Y", "Z"), help="oblique plane's normal"
    )
    render.add_argument(
        "--position",
        type=float,
        metavar="MM",
        help="signed distance of the plane from the patient origin along its normal "
        "(default: through the volume's centre)",
    )
    render.add_argument(
        "--slab", type=float, default=0.0, metavar="MM", help="total slab thickness"
    )
    render.add_argument("--projection", choices=["mip", "minip", "average"])
    render.add_argument("-o", "--output", type=Path, required=True, metavar="OUT.png")
    render.set_defaults(run=run_render)
    add_script_command(commands)
    return parser


def _folder(text: str) -> Folder:
    """A folder given as a path, a ``file://`` URL or an fsspec URL (``s3://bucket/prefix``)."""
    try:
        return store.parse(text)
    except UsageError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def _options(args: argparse.Namespace) -> DeidOptions:
    rects: dict[str, Any] = {}
    if args.blank_rects is not None:
        try:
            rects = json.loads(args.blank_rects.read_text(encoding="utf-8"))
        except (OSError, ValueError) as exc:
            raise UsageError(f"{args.blank_rects}: cannot read the rectangles ({exc})") from exc
    try:
        return DeidOptions(
            retain_safe_private=args.retain_safe_private,
            retain_uids=args.retain_uids,
            retain_device_identity=args.retain_device_identity,
            retain_institution_identity=args.retain_institution_identity,
            retain_patient_characteristics=args.retain_patient_characteristics,
            retain_longitudinal=args.retain_longitudinal,
            dates_to_year=args.dates_to_year,
            retain_descriptors=args.retain_descriptors,
            clean_descriptors=args.clean_descriptors,
            clean_structured_content=args.clean_structured_content,
            clean_graphics=args.clean_graphics,
            burned_in=args.burned_in,
            blank_rects={k: [tuple(r) for r in v] for k, v in rects.items()},
            find_text=args.find_text,
            blank_detected=args.blank_detected,
        )
    except (ValueError, TypeError, AttributeError) as exc:
        raise UsageError(str(exc)) from exc


def read_secret(folder: Folder) -> bytes:
    """The folder's secret, created (32 random bytes, mode 0600) on the first run."""
    secret = os.urandom(32)
    if folder.create(SECRET_FILE, secret):
        return secret
    secret = folder.read(SECRET_FILE)
    if len(secret) < 16:
        raise UsageError(
            f"{folder.location(SECRET_FILE)} is damaged: remove it only with the whole output"
        )
    return secret


class Manifest:
    """What each input became, by a keyed hash of (relative path, size, mtime)."""

    def __init__(self, folder: Folder, secret: bytes, options: DeidOptions) -> None:
        self.folder = folder
        self.secret = secret
        self.options = options.to_camel()
        self.files: dict[str, dict[str, str]] = {}
        self.sops: dict[str, str] = {}
        self.namer = Namer()
        self.changes: Counter[Change] = Counter()
        self.change_sets: dict[str, list[list[str]]] = {}
        if folder.exists(MANIFEST_FILE):
            self._load()

    def _load(self) -> None:
        data = json.loads(self.folder.read(MANIFEST_FILE).decode("utf-8"))
        if data.get("options") != self.options:
            raise UsageError(
                f"{self.folder.name} was started with other options: rerun with the same "
                "options, or use a new output folder"
            )
        self.files = data["files"]
        self.sops = data["sops"]
        self.namer = Namer.from_json(data["namer"])
        for path, keywords, outcome, reason, count in data["changes"]:
            self.changes[Change(path, keywords, Outcome(outcome), reason)] = count
        self.change_sets = data.get("changeSets", {})

    def key(self, relative: str, stamp: str) -> str:
        """The input's key: of its name and its stamp (size and modification)."""
        message = f"{relative}\x00{stamp}".encode()
        return hmac.new(self.secret, message, hashlib.sha256).hexdigest()[:32]

    def input_id(self, relative: str) -> str:
        """What the reports call an input: a keyed hash of its name alone, so that the same
        files give the same reports wherever they are stored (a stamp is the storage's)."""
        message = f"input\x00{relative}".encode()
        return hmac.new(self.secret, message, hashlib.sha256).hexdigest()[:32]

    def save(self) -> None:
        changes = sorted(
            [c.path, c.keywords, c.outcome.value, c.reason, n] for c, n in self.changes.items()
        )
        data = {
            "version": 1,
            "options": self.options,
            "files": self.files,
            "sops": self.sops,
            "namer": self.namer.to_json(),
            "changes": changes,
            "changeSets": self.change_sets,
        }
        self.folder.write(MANIFEST_FILE, json.dumps(data, sort_keys=True).encode("utf-8"))


class Progress:
    """A progress bar on stderr, redrawn at most ten times a second."""

    def __init__(self, total: int, done: int, stream: TextIO, quiet: bool) -> None:
        self.total, self.done, self.stream, self.quiet = total, done, stream, quiet
        self.start, self.last = time.monotonic(), 0.0

    def step(self, final: bool = False) -> None:
        now = time.monotonic()
        if self.quiet or (not final and now - self.last < 0.1):
            return
        self.last = now
        width = 30
        filled = width * self.done // max(self.total, 1)
        rate = self.done / max(now - self.start, 1e-6)
        bar = "#" * filled + "." * (width - filled)
        self.stream.write(f"\r[{bar}] {self.done}/{self.total} files  {rate:.1f}/s")
        if final:
            self.stream.write("\n")
        self.stream.flush()


def run_deid(args: argparse.Namespace) -> int:
    """``lightbox deid``: de-identify a folder into another, resumably."""
    if args.new_key is not None:
        audit.new_key(args.new_key)
        print(
            f"lightbox: a new key is in {args.new_key} (mode 0600): keep it safe", file=sys.stderr
        )
        return 0
    if args.input is None or args.output is None:
        raise UsageError("deid needs INPUT_DIR and OUTPUT_DIR (or --new-key FILE)")
    source, target = args.input, args.output
    if not source.is_dir():
        raise UsageError(f"{source.name} is not a folder")
    if target.contains(source):
        raise UsageError("the output folder must not be the input folder or contain it")
    if args.jobs < 1:
        raise UsageError("--jobs must be at least 1")
    engine = _engine(args)
    for folder in (source, target):
        if engine != "inline" and not folder.shared:
            raise UsageError(
                f"{folder.name}: a {engine} engine's worker processes cannot see this "
                "process's memory:// files: run with --jobs 1"
            )
    if engine == "dask" and args.scheduler is None:
        cluster.prestart()  # the workers' forkserver imports Lightbox while this lists IN
    options = _options(args)
    target.makedirs()
    secret = _secret(args, target)
    maps = (
        audit.Maps(audit.maps_folder(target, args.keep_maps or None))
        if args.keep_maps is not None
        else None
    )
    manifest = Manifest(target, secret, options)
    done = set(target.files("DICOM"))
    todo: list[tuple[str, str, str]] = []
    total = 0
    for relative, stamp in source.walk(target):
        total += 1
        key = manifest.key(relative, stamp)
        entry = manifest.files.get(key)
        if entry and ("output" not in entry or entry["output"] in done):
            continue
        todo.append((source.location(relative), relative, key))
    swept = _sweep(target, manifest, done)
    _clear_staging(target)
    if swept:
        print(f"lightbox: removed {swept} unrecorded files of an interrupted run", file=sys.stderr)
    progress = Progress(total, total - len(todo), sys.stderr, args.quiet)
    progress.step()
    saved = time.monotonic()
    try:
        for (_, relative, key), result, staged in _results(todo, options, secret, args, engine):
            _store(target, manifest, key, relative, result, staged)
            if maps is not None and result.data is not None:
                maps.add(result.mapped)
            progress.done += 1
            progress.step()
            if time.monotonic() - saved > SAVE_EVERY:
                manifest.save()
                saved = time.monotonic()
    finally:
        manifest.save()
        _clear_staging(target)
        if maps is not None:
            maps.write()
        progress.step(final=True)
    _finish(target, manifest, options, args.key is not None)
    written = sum(1 for e in manifest.files.values() if "output" in e)
    print(f"lightbox: {written} files in {target.name} (report: {REPORT_NAME})", file=sys.stderr)
    return 0


def _secret(args: argparse.Namespace, target: Folder) -> bytes:
    """The export's secret: the key file's (never copied into OUT), or OUT's own."""
    if args.key is None:
        if not target.exists(SECRET_FILE) and target.exists(MANIFEST_FILE):
            raise UsageError(f"{target.name} was started with --key: give the same key")
        return read_secret(target)
    secret = audit.read_key(args.key)
    if target.exists(SECRET_FILE) and target.read(SECRET_FILE) != secret:
        raise UsageError(f"{target.name} was started with another secret: use a new output folder")
    return secret


def _engine(args: argparse.Namespace) -> str:
    """Where the work runs: ``inline``, ``processes`` or ``dask``."""
    if args.scheduler is not None:
        if args.engine == "processes":
            raise UsageError("--scheduler sends the work to Dask: not with --engine processes")
        return "dask"
    if args.jobs == 1:
        return "inline"
    if args.engine is None:
        return "dask" if cluster.available() else "processes"
    return str(args.engine)


def _results(
    todo: list[tuple[str, str, str]],
    options: DeidOptions,
    secret: bytes,
    args: argparse.Namespace,
    engine: str,
) -> Iterator[tuple[tuple[str, str, str], FileResult, str | None]]:
    """Results in the order of ``todo`` (so that names and the manifest come out the same
    whatever the workers' pace), with at most a few tasks per worker in flight; and the
    file a Dask worker staged for each (None elsewhere: the result holds the bytes)."""
    if engine == "inline":
        for task in todo:
            yield task, work(task[0], task[1], options, secret), None
        return
    if engine == "dask":
        if not todo:
            return
        with ThreadPoolExecutor(max_workers=1) as scan:
            grouping = scan.submit(cluster.studies, todo)  # while the cluster starts
            with cluster.connect(args.scheduler, args.jobs) as client:
                yield from _on_dask(client, args, todo, grouping.result(), options, secret)
        return
    jobs = args.jobs
    with ProcessPoolExecutor(max_workers=jobs) as pool:
        futures: dict[int, Future[FileResult]] = {}
        submitted = 0
        for index, task in enumerate(todo):
            while submitted < len(todo) and submitted < index + 4 * jobs:
                queued = todo[submitted]
                futures[submitted] = pool.submit(work, queued[0], queued[1], options, secret)
                submitted += 1
            yield task, futures.pop(index).result(), None


def _on_dask(
    client: Any,
    args: argparse.Namespace,
    todo: list[tuple[str, str, str]],
    groups: dict[str, list[int]],
    options: DeidOptions,
    secret: bytes,
) -> Iterator[tuple[tuple[str, str, str], FileResult, str | None]]:
    """The Dask engine's results, once connected: say where, and where its dashboard is."""
    where = args.scheduler or f"a local cluster of {args.jobs} workers"
    print(f"lightbox: on Dask ({where}); dashboard {cluster.dashboard(client)}", file=sys.stderr)
    staging = store.parse(args.output.location(STAGING_DIR))
    staging.makedirs()
    for task, result in cluster.results(client, todo, groups, options, secret, staging.location()):
        yield task, result, None if result.data is None else f"{STAGING_DIR}/{task[2]}"


def _sweep(target: Folder, manifest: Manifest, present: set[str]) -> int:
    """Remove output files the manifest does not know: written by a run killed before saving.

    Only Lightbox's own names are touched (``DICOM/PTnnnn/STnnnn/SEnnnn/IMnnnn``), among
    the ``present`` ones.
    """
    known = {e["output"] for e in manifest.files.values() if "output" in e}
    removed = 0
    for relative in sorted(present):
        if OWN_NAME.fullmatch(relative) and relative not in known:
            target.remove(relative)
            removed += 1
    return removed


def _clear_staging(target: Folder) -> None:
    """Remove what Dask workers staged and no one renamed (an interrupted run's)."""
    for relative in target.files(STAGING_DIR):
        target.remove(relative)
    # A task still running on a cluster we left (its run failed) may stage one more
    # file: it is the same bytes, and the next run clears it.
    target.remove_folder(STAGING_DIR)


def _store(
    target: Folder,
    manifest: Manifest,
    key: str,
    relative: str,
    result: FileResult,
    staged: str | None = None,
) -> None:
    """Write one result's file (atomically; or rename the file a worker ``staged``) and
    record it; report what was left out."""
    if result.data is None:
        reason = result.excluded or "left out"
        manifest.files[key] = {"notDicom": "1"} if reason == NOT_DICOM else {"excluded": reason}
        manifest.files[key]["input"] = manifest.input_id(relative)
        if reason != NOT_DICOM:
            print(f"\nlightbox: left out {relative}: {reason}", file=sys.stderr)
        return
    owner = manifest.sops.get(result.sop)
    if owner is not None and owner != key:
        manifest.files[key] = {
            "excluded": "same SOP Instance UID as another input",
            "input": manifest.input_id(relative),
        }
        if staged is not None:
            target.remove(staged)
        return
    name = manifest.namer.path(result.patient, result.study, result.series, result.sop)
    if staged is not None:
        target.rename(staged, name)
    else:
        target.write(name, result.data)
    manifest.sops[result.sop] = key
    entry = {"output": name, "input": manifest.input_id(relative)}
    if result.flagged is not None:
        entry["flagged"] = result.flagged.reason
    if key not in manifest.files:
        manifest.changes.update(result.changes)
    digest, rows = audit.change_set(result.changes)
    manifest.change_sets.setdefault(digest, rows)
    entry["changes"] = digest
    manifest.files[key] = entry


def _header(target: Folder, name: str) -> Any:
    with target.open(name) as handle:
        return dcmread(handle, stop_before_pixels=True)


def _finish(target: Folder, manifest: Manifest, options: DeidOptions, keyed: bool) -> None:
    """Write the DICOMDIR over every output file, REPORT.TXT and report.json."""
    outputs = sorted(e["output"] for e in manifest.files.values() if "output" in e)
    headers = [(name, _header(target, name)) for name in outputs]
    if headers:
        target.write("DICOMDIR", dicomdir(headers))
    excluded = sorted(
        (entry.get("input", key)[:8], entry["excluded"])
        for key, entry in manifest.files.items()
        if "excluded" in entry
    )
    report = report_text(
        options=options,
        profile=load_profile(),
        exported=len(outputs),
        excluded=excluded,
        flagged=[(e["output"], e["flagged"]) for e in manifest.files.values() if "flagged" in e],
        changes=summarize_counts(manifest.changes),
        secret_note=KEY_NOTE if keyed else SECRET_NOTE,
        not_dicom=sum(1 for e in manifest.files.values() if "notDicom" in e),
    )
    target.write(REPORT_NAME, report.encode("utf-8"))
    profile = f"PS3.15 Table E.1-1, {load_profile().edition}"
    document = audit.report_json(manifest.options, profile, manifest.files, manifest.change_sets)
    target.write(audit.REPORT_JSON, document.encode("utf-8"))
