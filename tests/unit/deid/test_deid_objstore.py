"""``lightbox deid`` on object storage (issue 20 items 1 to 3): IN and OUT as ``s3://`` and
``gs://`` URLs, ``memory://`` in one process, the Dask dashboard while a run goes.

Each API is a real one over HTTP, in its own process on 127.0.0.1, with the address (and
credentials) in the environment as a user's would be: moto's S3 server for ``s3://``,
gcp-storage-emulator's Cloud Storage JSON API for ``gs://``. The expectation: a ``--jobs 1``
run from a local copy of the same files into a local folder, with the same key; every
output object is downloaded and compared byte for byte with it, report.json and REPORT.TXT
included. The hidden manifest is not compared (its keys hash each input's stamp: the
file's modification time on a disk, the object's ETag or generation on storage; it is the
resumable run's state, not part of the export).
"""

from __future__ import annotations

import io
import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pydicom
import pytest
from pydicom.uid import generate_uid

from lightbox.cli import main as cli
from tests.support.paths import ROOT
from tools.bench_deid import write_studies

pytest.importorskip("fsspec")
pytest.importorskip("distributed")

FILES, PER_STUDY = 48, 8
BUCKET = "lightbox-test"


def _local(folder: Path) -> dict[str, bytes]:
    return {
        p.relative_to(folder).as_posix(): p.read_bytes()
        for p in sorted(folder.rglob("*"))
        if p.is_file()
    }


def _comparable(files: dict[str, bytes]) -> dict[str, bytes]:
    """The files but the manifest (its keys hash each input's stamp: a disk's modification
    time, an object's ETag)."""
    return {k: v for k, v in files.items() if k != cli.MANIFEST_FILE}


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture(scope="module")
def inputs(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """The generated inputs in a local folder, a key, and the local reference run."""
    root = tmp_path_factory.mktemp("objstore")
    source = root / "in"
    write_studies(source, FILES, PER_STUDY, interleaved=True)
    (source / "notes.txt").write_bytes(b"not dicom " * 40)
    # A file of its own study beside the folders: a sorted top-down walk takes it
    # first (a folder's files before its subfolders), a plain sort of the keys last.
    ds = pydicom.dcmread(source / "i0000" / "p0000.dcm")
    ds.PatientID, ds.PatientName = "TOPLEVEL", "Top^Level"
    for keyword in ("StudyInstanceUID", "SeriesInstanceUID", "SOPInstanceUID"):
        setattr(ds, keyword, generate_uid(entropy_srcs=["objstore", keyword]))
    ds.file_meta.MediaStorageSOPInstanceUID = ds.SOPInstanceUID
    ds.save_as(source / "zz.dcm")
    key = root / "key"
    assert cli.main(["deid", "--new-key", str(key)]) == 0
    reference = root / "single"
    argv = ["deid", str(source), str(reference), "--key", str(key), "-j", "1", "-q"]
    assert cli.main(argv) == 0
    return {"key": key, "source": source, "reference": _local(reference)}


def _server(scheme: str, port: int) -> tuple[list[str], dict[str, str]]:
    """The command that serves ``scheme``'s API on ``port``, and the environment that
    points a client at it."""
    endpoint = f"http://127.0.0.1:{port}"
    if scheme == "s3":
        pytest.importorskip("s3fs")
        pytest.importorskip("moto")
        command = [sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(port)]
        return command, {
            "AWS_ACCESS_KEY_ID": "lightbox-test",
            "AWS_SECRET_ACCESS_KEY": "lightbox-test-secret",
            "AWS_DEFAULT_REGION": "us-east-1",
            "AWS_ENDPOINT_URL": endpoint,
        }
    pytest.importorskip("gcsfs")
    pytest.importorskip("gcp_storage_emulator")
    command = [sys.executable, "-m", "gcp_storage_emulator", "start", "--in-memory"]
    return [*command, "--host", "127.0.0.1", "--port", str(port)], {
        "STORAGE_EMULATOR_HOST": endpoint,
        # gcsfs would ask the emulator whether the bucket is zonal or hierarchical, over
        # gRPC it does not serve, and wait a minute per bucket for the answer.
        "GCSFS_EXPERIMENTAL_ZB_HNS_SUPPORT": "false",
    }


@pytest.fixture(scope="module", params=["s3", "gs"])
def store(request: pytest.FixtureRequest, inputs: dict[str, Any]) -> Iterator[dict[str, Any]]:
    """A storage server on 127.0.0.1, its address (and credentials) in the environment, the
    inputs uploaded to SCHEME://BUCKET/in."""
    scheme: str = request.param
    port = _free_port()
    command, env = _server(scheme, port)
    server = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    with pytest.MonkeyPatch.context() as patch:
        for name, value in env.items():
            patch.setenv(name, value)
        for _ in range(400):  # until it answers (it starts in about a second)
            try:
                urllib.request.urlopen(f"http://127.0.0.1:{port}", timeout=2).close()
                break
            except urllib.error.HTTPError:
                break  # it answered (with an error for the bare address)
            except OSError:
                time.sleep(0.05)
        fsspec = pytest.importorskip("fsspec")
        fs = fsspec.filesystem(scheme, use_listings_cache=False, skip_instance_cache=True)
        fs.mkdir(BUCKET)
        fs.put(f"{inputs['source']}/", f"{BUCKET}/in/", recursive=True)
        yield {**inputs, "fs": fs, "env": env, "scheme": scheme, "url": f"{scheme}://{BUCKET}/in"}
    server.terminate()
    server.wait(timeout=30)


def _deid(store: dict[str, Any], out: str, *flags: str) -> list[str]:
    """The command from the store's inputs to ``out`` in the same store, with its key."""
    return ["deid", store["url"], f"{store['scheme']}://{out}", "--key", str(store["key"]), *flags]


def _remote(fs: Any, prefix: str) -> dict[str, bytes]:
    """Every object under ``prefix``, downloaded."""
    return {path.removeprefix(prefix + "/"): fs.cat_file(path) for path in sorted(fs.find(prefix))}


def _check(store: dict[str, Any], prefix: str) -> None:
    files = _remote(store["fs"], prefix)
    assert _comparable(files) == _comparable(store["reference"])
    images = [name for name in files if name.startswith("DICOM/")]
    assert len(images) == FILES + 1  # each input exactly once
    assert not [name for name in files if name.endswith(".part") or cli.STAGING_DIR in name]
    studies = {
        pydicom.dcmread(io.BytesIO(files[name]), stop_before_pixels=True).StudyInstanceUID
        for name in images
    }
    assert len(studies) == FILES // PER_STUDY + 1


def test_the_reference_walk_takes_a_folders_files_first(inputs):
    """The local run's first patient (PT0001) is the top-level file's: one image."""
    patients = [name.split("/")[1] for name in inputs["reference"] if name.startswith("DICOM/")]
    assert patients.count("PT0001") == 1
    assert {patients.count(p) for p in set(patients) - {"PT0001"}} == {PER_STUDY}


@pytest.mark.parametrize(
    ("engine", "flags"),
    [
        ("inline", ["-j", "1"]),
        ("processes", ["-j", "2", "--engine", "processes"]),
        ("dask", ["-j", "2"]),
    ],
)
def test_object_storage_in_and_out_give_the_local_bytes_and_resume(store, engine, flags, capsys):
    out = f"{BUCKET}/out-{engine}"
    argv = _deid(store, out, *flags)
    assert cli.main(argv) == 0
    err = capsys.readouterr().err
    assert ("on Dask (a local cluster of 2 workers)" in err) == (engine == "dask")
    assert f"{FILES + 2}/{FILES + 2} files" in err
    _check(store, out)
    # A rerun finds everything done and writes the same bytes.
    assert cli.main([*argv, "-q"]) == 0
    assert "on Dask" not in capsys.readouterr().err
    _check(store, out)


def test_object_storage_with_a_scheduler_started_by_the_test(store, capsys):
    """Workers of another cluster (spawned with this environment: the credentials)."""
    distributed = pytest.importorskip("distributed")
    out = f"{BUCKET}/out-scheduler"
    with distributed.LocalCluster(
        n_workers=2, threads_per_worker=1, host="127.0.0.1", dashboard_address=None
    ) as local:
        address = local.scheduler_address
        argv = _deid(store, out, "-q")
        assert cli.main([*argv, "--scheduler", address]) == 0
        assert f"on Dask ({address})" in capsys.readouterr().err
        assert "deid_study" in local.scheduler.task_prefixes  # the work went there
    _check(store, out)


def test_object_storage_maps_beside_out_and_no_secret_in_out(store):
    out = f"{BUCKET}/mapped"
    argv = ["deid", store["url"], f"{store['scheme']}://{out}", "-j", "1", "-q", "--keep-maps"]
    assert cli.main(argv) == 0
    fs = store["fs"]
    assert fs.exists(f"{out}/{cli.SECRET_FILE}")  # without --key, OUT's own secret
    rows = fs.cat_file(f"{out}-maps/uid_map.csv").decode().splitlines()
    assert rows[0] == "original,new"
    originals = {
        str(pydicom.dcmread(p, stop_before_pixels=True).SOPInstanceUID)
        for p in store["source"].rglob("*.dcm")
    }
    assert originals <= {row.split(",")[0] for row in rows[1:]}
    assert not [p for p in fs.find(out) if p.endswith(".csv")]


def _stored(fs: Any, prefix: str) -> int:
    return sum(1 for p in fs.find(f"{prefix}/DICOM") if "/IM" in p)


RUN = """import sys
from lightbox.cli import main as cli
cli.SAVE_EVERY = float(sys.argv[1])
if __name__ == "__main__":
    sys.exit(cli.main(sys.argv[2:]))
"""


@pytest.mark.parametrize(
    ("engine", "save_every", "flags"),
    [
        ("inline", cli.SAVE_EVERY, ["-j", "1"]),  # killed before the manifest's first save
        ("inline", 0.0, ["-j", "1"]),  # after some saves: the rerun goes on from there
        ("dask", 0.0, ["-j", "2"]),
    ],
)
def test_a_run_killed_mid_way_on_object_storage_resumes_to_every_file_once(
    store, engine, save_every, flags, tmp_path
):
    """The whole command (with its cluster) is killed with SIGKILL once some outputs are
    stored (and, when it saves often, recorded); the rerun stores the rest, each file
    once, the same bytes."""
    out = f"{BUCKET}/killed-{engine}-{save_every:g}"
    argv = _deid(store, out, "-q", *flags)
    script = tmp_path / "run.py"
    script.write_text(RUN)
    run = subprocess.Popen(
        [sys.executable, str(script), str(save_every), *argv],
        cwd=ROOT,
        env={**os.environ, "PYTHONPATH": f"{ROOT / 'py'}{os.pathsep}{ROOT}"},
        start_new_session=True,  # its own process group: the cluster's workers go with it
        stderr=subprocess.DEVNULL,
    )
    fs, manifest = store["fs"], f"{out}/{cli.MANIFEST_FILE}"
    recorded, stored, deadline = 0, 0, time.monotonic() + 120
    while run.poll() is None and time.monotonic() < deadline:
        stored = _stored(fs, out)
        if save_every == 0 and fs.exists(manifest):
            recorded = sum(
                "output" in e for e in json.loads(fs.cat_file(manifest))["files"].values()
            )
        if stored >= 4 and (save_every > 0 or recorded >= 4):
            break
        time.sleep(0.02)
    os.killpg(run.pid, signal.SIGKILL)
    run.wait(timeout=30)
    assert run.returncode == -signal.SIGKILL, "the run ended before it could be killed"
    assert 4 <= _stored(fs, out) < FILES + 1
    assert fs.exists(manifest) == (save_every == 0)
    assert cli.main(argv) == 0
    _check(store, out)


def test_memory_urls_in_one_process_and_refused_for_workers(inputs, capsys):
    fsspec = pytest.importorskip("fsspec")
    memory = fsspec.filesystem("memory")
    for path in sorted(inputs["source"].rglob("*")):
        if path.is_file():
            memory.pipe_file(
                f"/objstore/in/{path.relative_to(inputs['source']).as_posix()}", path.read_bytes()
            )
    argv = ["deid", "memory://objstore/in", "memory://objstore/out", "--key", str(inputs["key"])]
    assert cli.main([*argv, "-j", "1", "-q"]) == 0
    assert _comparable(_remote(memory, "/objstore/out")) == _comparable(inputs["reference"])
    for flags in (["-j", "2"], ["-j", "2", "--engine", "processes"]):
        argv = ["deid", "memory://objstore/in", "memory://objstore/out2", *flags, "-q"]
        assert cli.main(argv) == 2
        err = capsys.readouterr().err
        assert "memory://objstore/in: a " in err
        assert "cannot see this process's memory:// files: run with --jobs 1" in err
    assert not memory.exists("/objstore/out2")


def test_unknown_schemes_and_unreachable_storage_have_a_message(tmp_path, capsys, monkeypatch):
    with pytest.raises(SystemExit) as exit_:
        cli.main(["deid", "nosuch://bucket/in", str(tmp_path / "out")])
    assert exit_.value.code == 2
    assert "nosuch://bucket/in: Protocol not known: nosuch" in capsys.readouterr().err
    s3fs = pytest.importorskip("s3fs")
    monkeypatch.setenv("AWS_ENDPOINT_URL", f"http://127.0.0.1:{_free_port()}")  # no one there
    s3fs.S3FileSystem.clear_instance_cache()
    try:
        assert cli.main(["deid", "s3://nobucket/in", str(tmp_path / "out"), "-q"]) == 2
    finally:
        s3fs.S3FileSystem.clear_instance_cache()
    assert "lightbox: s3://nobucket/in: cannot be reached (" in capsys.readouterr().err
    assert not (tmp_path / "out").exists()


class _Terminal(io.StringIO):
    """A terminal that holds the run at the dashboard line until the test has looked."""

    def __init__(self) -> None:
        super().__init__()
        self.shown, self.go_on = threading.Event(), threading.Event()
        self.line = ""

    def write(self, text: str) -> int:
        if "dashboard http" in text:
            self.line = text
            self.shown.set()
            self.go_on.wait(timeout=120)
        return super().write(text)


def test_the_dashboard_link_answers_while_the_run_goes(inputs, tmp_path, monkeypatch):
    terminal = _Terminal()
    monkeypatch.setattr(sys, "stderr", terminal)
    status: list[int] = []
    target = tmp_path / "out"
    argv = ["deid", str(inputs["source"]), str(target), "--key", str(inputs["key"]), "-j", "2"]
    run = threading.Thread(target=lambda: status.append(cli.main(argv)))
    run.start()
    try:
        assert terminal.shown.wait(timeout=120), "no dashboard line"
        line = terminal.line.strip()
        assert line.startswith("lightbox: on Dask (a local cluster of 2 workers); dashboard ")
        url = line.rpartition(" ")[2]
        assert url.startswith("http://127.0.0.1:")
        with urllib.request.urlopen(url, timeout=30) as page:  # the cluster is running
            assert page.status == 200
            assert b"Dask" in page.read()
    finally:
        terminal.go_on.set()
        run.join(timeout=120)
    assert status == [0]
    assert _local(target) == inputs["reference"]
