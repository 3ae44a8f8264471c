"""``lightbox deid`` on Dask (issue 20 item 1): a local cluster, a worker killed, --scheduler.

The clusters are started and stopped here, on 127.0.0.1, two worker processes of one
thread each. The expectations: the single-process run's bytes (``--jobs 1``, no Dask,
the same key), every file of OUT compared; and, from pydicom, one output per DICOM
input, with as many studies out as went in. A worker is killed with SIGKILL while it
runs a study, and the run must still give every file exactly once, the same bytes.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pydicom
import pytest

from lightbox.cli import cluster
from lightbox.cli import main as cli
from tests.support.paths import ROOT
from tools.bench_deid import write_studies

distributed = pytest.importorskip("distributed")
dask = pytest.importorskip("dask")

FILES, PER_STUDY = 160, 8


def _files(folder: Path) -> dict[str, bytes]:
    return {
        p.relative_to(folder).as_posix(): p.read_bytes()
        for p in sorted(folder.rglob("*"))
        if p.is_file()
    }


@pytest.fixture(scope="module")
def corpus(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """The input tree, a key, and the single-process run's output (name -> bytes)."""
    root = tmp_path_factory.mktemp("cluster")
    source = root / "in"
    write_studies(source, FILES, PER_STUDY, interleaved=True)  # the studies' files alternate
    (source / "notes.txt").write_bytes(b"not dicom " * 40)
    key = root / "key"
    assert cli.main(["deid", "--new-key", str(key)]) == 0
    reference = root / "single"
    assert cli.main(["deid", str(source), str(reference), "--key", str(key), "-j", "1", "-q"]) == 0
    files = _files(reference)
    return {"source": source, "key": key, "reference": files}


@pytest.fixture
def local_cluster() -> Iterator[Any]:
    with distributed.LocalCluster(
        n_workers=2,
        threads_per_worker=1,
        processes=True,
        host="127.0.0.1",
        dashboard_address=None,
        silence_logs=50,
    ) as local:
        yield local


def _check_outputs(corpus: dict[str, Any], target: Path) -> None:
    """The same bytes as the single-process run; one output per input image, from pydicom."""
    assert _files(target) == corpus["reference"]
    images = sorted((target / "DICOM").rglob("IM*"))
    assert len(images) == FILES
    assert not list(target.rglob("*.part"))
    assert not (target / cli.STAGING_DIR).exists()
    studies = {pydicom.dcmread(p, stop_before_pixels=True).StudyInstanceUID for p in images}
    assert len(studies) == FILES // PER_STUDY


def test_jobs_1_runs_without_dask(corpus, tmp_path):
    script = (
        "import sys; from lightbox.cli.main import main;"
        f"status = main(['deid', {str(corpus['source'])!r}, {str(tmp_path / 'o')!r},"
        f" '--key', {str(corpus['key'])!r}, '-j', '1', '-q']);"
        "print(status, 'distributed' in sys.modules)"
    )
    done = subprocess.run(
        [sys.executable, "-c", script], cwd=ROOT, capture_output=True, text=True, check=True
    )
    assert done.stdout.split() == ["0", "False"]
    assert "Dask" not in done.stderr


def test_local_cluster_by_default_gives_the_single_process_bytes(corpus, tmp_path, capsys):
    target = tmp_path / "out"
    argv = ["deid", str(corpus["source"]), str(target), "--key", str(corpus["key"]), "-j", "2"]
    assert cli.main(argv) == 0
    err = capsys.readouterr().err
    assert "on Dask (a local cluster of 2 workers); dashboard http://127.0.0.1:" in err
    assert f"{FILES + 1}/{FILES + 1} files" in err
    _check_outputs(corpus, target)


def test_scheduler_started_by_the_test(corpus, tmp_path, local_cluster, capsys):
    address = local_cluster.scheduler_address
    assert address.startswith("tcp://127.0.0.1:")
    target = tmp_path / "out"
    argv = ["deid", str(corpus["source"]), str(target), "--key", str(corpus["key"])]
    assert cli.main([*argv, "--scheduler", address, "-q"]) == 0
    assert f"on Dask ({address})" in capsys.readouterr().err
    assert "deid_study" in local_cluster.scheduler.task_prefixes  # the work went there
    _check_outputs(corpus, target)
    # A rerun finds everything done: it does not even connect, and the bytes stay.
    assert cli.main([*argv, "--scheduler", address, "-q"]) == 0
    assert "on Dask" not in capsys.readouterr().err
    _check_outputs(corpus, target)


def test_no_scheduler_there_is_a_clear_message(corpus, tmp_path, capsys):
    argv = ["deid", str(corpus["source"]), str(tmp_path / "out"), "--key", str(corpus["key"])]
    assert cli.main([*argv, "--scheduler", "tcp://127.0.0.1:9", "-q"]) == 2
    assert "no Dask scheduler at tcp://127.0.0.1:9" in capsys.readouterr().err


def _run_and_kill_a_worker(local: Any, argv: list[str], target: Path) -> int:
    """Run ``argv`` against ``local``; once some files are stored, SIGKILL a worker that is
    running a study. Returns the run's exit status."""
    status: list[int] = []
    with distributed.Client(local) as client:
        pids = client.run(os.getpid)
        run = threading.Thread(
            target=lambda: status.append(cli.main([*argv, "--scheduler", local.scheduler_address]))
        )
        run.start()
        killed, stored = None, 0
        deadline = time.monotonic() + 30
        while killed is None and run.is_alive() and time.monotonic() < deadline:
            stored = len(list((target / "DICOM").rglob("IM*"))) if target.exists() else 0
            busy = [
                worker
                for worker, keys in client.processing().items()
                if any(str(k).startswith("deid_study") for k in keys)
            ]
            if stored >= 8 and busy:
                killed = pids[busy[0]]
                os.kill(killed, signal.SIGKILL)  # mid-task: its study must run again
            time.sleep(0.005)
        run.join(timeout=60)
        assert killed is not None, "the run ended before a worker could be killed"
        assert stored < FILES
        assert killed not in client.run(os.getpid).values()  # it is gone (the nanny made another)
    assert status, "the run raised instead of returning an exit status"
    return status[0]


def test_a_worker_killed_mid_run_the_run_completes_exactly_once(corpus, tmp_path, local_cluster):
    target = tmp_path / "out"
    argv = ["deid", str(corpus["source"]), str(target), "--key", str(corpus["key"]), "-q"]
    assert _run_and_kill_a_worker(local_cluster, argv, target) == 0  # Dask ran the study again
    _check_outputs(corpus, target)


def test_a_run_the_cluster_gave_up_on_resumes_to_the_same_bytes(corpus, tmp_path, capsys):
    """A scheduler that allows no retry: the run stops with a message; the rerun finishes."""
    target = tmp_path / "out"
    argv = ["deid", str(corpus["source"]), str(target), "--key", str(corpus["key"]), "-q"]
    with (
        dask.config.set({"distributed.scheduler.allowed-failures": 0}),
        distributed.LocalCluster(
            n_workers=2,
            threads_per_worker=1,
            host="127.0.0.1",
            dashboard_address=None,
            silence_logs=50,
        ) as local,
    ):
        assert _run_and_kill_a_worker(local, argv, target) == 2
        err = capsys.readouterr().err
        assert "the Dask cluster could not de-identify the study of" in err
        assert "run the same command again to resume" in err
        partial = len(list((target / "DICOM").rglob("IM*")))
        assert 8 <= partial < FILES
        assert cli.main([*argv, "--scheduler", local.scheduler_address]) == 0
    _check_outputs(corpus, target)


def test_file_urls_for_in_and_out(corpus, tmp_path):
    target = tmp_path / "out"
    argv = ["deid", corpus["source"].as_uri(), target.as_uri(), "--key", str(corpus["key"])]
    assert cli.main([*argv, "-j", "1", "-q"]) == 0
    _check_outputs(corpus, target)


def test_without_dask_installed_a_process_pool_or_a_message(corpus, tmp_path, monkeypatch, capsys):
    from lightbox.cli import cluster

    monkeypatch.setattr(cluster, "available", lambda: False)  # as without lightbox[cluster]
    target = tmp_path / "out"
    argv = ["deid", str(corpus["source"]), str(target), "--key", str(corpus["key"])]
    assert cli.main([*argv, "-j", "2"]) == 0
    assert "Dask" not in capsys.readouterr().err
    _check_outputs(corpus, target)
    assert cli.main([*argv, "--engine", "dask", "-j", "2"]) == 0  # nothing left to do
    assert cli.main([*argv[:2], str(tmp_path / "o2"), *argv[3:], "--engine", "dask"]) == 2
    assert "pip install lightbox[cluster]" in capsys.readouterr().err


def test_the_local_cluster_workers_have_lightbox_imported_and_no_profiler():
    """The local cluster as ``deid`` starts it (:func:`cluster.prestart`, then
    :func:`cluster.connect`): before any task ran, each worker has the task's module imported
    (from its forkserver); its statistical profiler is off and its monitors run at the
    intervals set (Dask's defaults: the profiler on, 20 ms, 100 ms and 500 ms); the
    dashboard still answers."""
    cluster.prestart()
    with cluster.connect(None, 2) as client:
        probe = "'lightbox.cli.tasks' in __import__('sys').modules"
        assert list(client.run(eval, probe).values()) == [True, True]
        keys = [
            "distributed.worker.profile.enabled",
            "distributed.admin.tick.interval",
            "distributed.worker.memory.monitor-interval",
            "distributed.admin.system-monitor.interval",
        ]
        settings = f"[__import__('dask').config.get(k) for k in {keys!r}]"
        expected = [False, "1s", "1s", "5s"]
        assert list(client.run(eval, settings).values()) == [expected, expected]
        # Dask's nanny's environment (its documented defaults), which the forkserver needs
        # from its start (the C library reads it then): the environment each worker's
        # process began with, its forkserver's as it was started (Linux's /proc).
        initial = "open('/proc/self/environ', 'rb').read().split(b'\\0')"
        for began in client.run(eval, initial).values():
            assert b"MALLOC_TRIM_THRESHOLD_=65536" in began
            assert b"OMP_NUM_THREADS=1" in began
            assert b"OPENBLAS_NUM_THREADS=1" in began
        with urllib.request.urlopen(cluster.dashboard(client), timeout=30) as page:
            assert page.status == 200
            assert b"Dask" in page.read()
