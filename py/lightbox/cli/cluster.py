"""``lightbox deid`` on a Dask cluster: a local one (a worker process per core) or an
existing one named by ``--scheduler tcp://host:8786``.

The unit of work is a study: the files are first sorted into studies by their Study
Instance UID (read from the headers by the calling process while the cluster starts; a
local cluster's workers are forked from a server that imports Lightbox and Dask once,
started as the command begins: :func:`prestart`),
then each study is one task (:func:`lightbox.cli.tasks.deid_study`). The tasks are pure (the UIDs,
pseudonyms and date shifts come from the export's secret by keyed hashing, so no state
is shared), which lets Dask run a task again when a worker is lost. The results come
back to the calling process, and each file's bytes are staged by its worker in OUT
(``.lightbox-deid-staging/``, one file per input, written atomically): the calling
process alone names and records them, renaming each staged file to its name in the input
order, so a run on a cluster writes the same bytes as one in a single process, and each
output file exactly once. Dask is optional (``pip install lightbox[cluster]``).
"""

from __future__ import annotations

import importlib.util
import logging
import multiprocessing
import multiprocessing.forkserver
import os
import re
import socket
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from lightbox.cli.tasks import deid_study, study_of
from lightbox.cli.usage import UsageError
from lightbox.deid.api import DeidOptions, FileResult

#: Studies in flight per worker thread.
AHEAD = 4
#: The environment a local cluster's workers are given from this process's: the object
#: storage's credentials and endpoints (a worker forked from a server started before
#: they were set would not see them otherwise).
STORAGE_ENV = ("AWS_", "FSSPEC_", "GOOGLE_", "GCSFS_", "STORAGE_EMULATOR_HOST")
#: What the forkserver a local cluster's workers are forked from imports before it forks
#: any: the command's own module (``__main__``: the ``lightbox`` script, which each worker
#: would otherwise import again), Dask and the task's module (pydicom, numpy, the profile),
#: so that the workers start with them imported.
PRELOAD = ["__main__", "distributed", "lightbox.cli.tasks"]
#: The environment Dask's nanny sets before it starts a worker process (Dask's defaults of
#: ``distributed.nanny.pre-spawn-environ``): read when a process starts (the C library's
#: memory trimming) or imports numpy (one BLAS thread), so they must be in the forkserver's
#: environment, which Dask's own start of it inherited and :func:`prestart`'s, earlier, not.
PRE_SPAWN_ENV = {
    "MALLOC_TRIM_THRESHOLD_": "65536",
    "OMP_NUM_THREADS": "1",
    "MKL_NUM_THREADS": "1",
    "OPENBLAS_NUM_THREADS": "1",
}
#: Dask's settings for a local cluster (measured: README, deid on Dask). Its workers are
#: forked from a clean server process (:func:`prestart`): they start in about half the time
#: of Dask's default (spawn), without inheriting this process's threads. The workers'
#: statistical profiler (a thread sampling the task's stack every 10 ms, for the
#: dashboard's Profile page alone) is off; each server's event-loop health check runs every
#: second instead of every 20 ms, the memory monitor every second instead of every 100 ms
#: and the system monitor (the dashboard's System page, the workers' CPU and memory) every
#: 5 s instead of every 0.5 s: background work on the cores the tasks need.
LOCAL_CONFIG: dict[str, Any] = {
    "distributed.worker.multiprocessing-method": "forkserver",
    "distributed.worker.profile.enabled": False,
    "distributed.admin.tick.interval": "1s",
    "distributed.worker.memory.monitor-interval": "1s",
    "distributed.admin.system-monitor.interval": "5s",
}
#: An input's location (:mod:`lightbox.cli.store`), relative name and manifest key.
Task = tuple[str, str, str]


def available() -> bool:
    """Whether ``dask.distributed`` is installed."""
    return importlib.util.find_spec("distributed") is not None


def prestart() -> None:
    """Start the forkserver of a local cluster's workers now, with :data:`PRELOAD` imported
    in it: it imports them on another core while this process lists the input and starts
    the scheduler, and each worker is forked from it with them imported. (Dask sets a list
    of its own only for a forkserver not yet running.)"""
    for name, value in PRE_SPAWN_ENV.items():  # as Dask's nanny does, in this process too
        os.environ.setdefault(name, value)
    multiprocessing.get_context("forkserver").set_forkserver_preload(PRELOAD)
    multiprocessing.forkserver.ensure_running()


@contextmanager
def connect(scheduler: str | None, workers: int) -> Iterator[Any]:
    """A Dask client: of the cluster at ``scheduler``, or of a local cluster of
    ``workers`` processes (one thread each) stopped on leaving."""
    if not available():
        raise UsageError(
            "the Dask cluster needs dask.distributed: pip install lightbox[cluster] "
            "(or run with --jobs 1, or --engine processes)"
        )
    import dask  # noqa: PLC0415 (an optional extra)
    from distributed import Client, LocalCluster  # noqa: PLC0415

    if scheduler is not None:
        _reachable(scheduler)
        try:
            client = Client(scheduler, timeout="10s")  # type: ignore[no-untyped-call]
        except (OSError, TimeoutError) as exc:
            raise UsageError(f"no Dask scheduler at {scheduler} ({exc})") from exc
        with client:
            yield client
        return
    with (
        dask.config.set(LOCAL_CONFIG),
        LocalCluster(  # type: ignore[no-untyped-call]
            n_workers=workers,
            threads_per_worker=1,
            processes=True,
            host="127.0.0.1",
            dashboard_address="127.0.0.1:0",
            silence_logs=logging.ERROR,
            env={k: v for k, v in os.environ.items() if k.startswith(STORAGE_ENV)},
        ) as local,
        Client(local) as client,  # type: ignore[no-untyped-call]
    ):
        yield client


def _reachable(scheduler: str) -> None:
    """Fail at once, with a message, when nothing listens at a ``tcp://host:port`` address
    (Dask's own client would retry until its time-out)."""
    match = re.fullmatch(r"tcp://\[?([^\]]+?)\]?:(\d+)", scheduler)
    if match is None:
        return
    try:
        socket.create_connection((match[1], int(match[2])), timeout=5).close()
    except OSError as exc:
        raise UsageError(f"no Dask scheduler at {scheduler} ({exc.strerror or exc})") from exc


def dashboard(client: Any) -> str:
    """The address of the cluster's dashboard."""
    return str(client.dashboard_link)


def results(
    client: Any,
    todo: list[Task],
    groups: dict[str, list[int]],
    options: DeidOptions,
    secret: bytes,
    staging: str,
) -> Iterator[tuple[Task, FileResult]]:
    """Each task's result, in the order of ``todo``, worked out on the cluster by study
    (``groups``, from :func:`studies`); its worker staged the file of each result with data
    in ``staging`` (a location) under the task's key."""
    if not todo:
        return
    threads = max(1, sum(client.nthreads().values()))
    first = sorted(groups, key=lambda k: groups[k][0])  # studies by first appearance
    study_of = {index: key for key, indexes in groups.items() for index in indexes}
    futures: dict[str, Any] = {}
    sent: set[str] = set()
    done: dict[int, FileResult] = {}

    try:
        for index, task in enumerate(todo):
            key = study_of[index]
            # Every study up to this file's, then a few ahead for the workers to go on with.
            while len(sent) < len(first) and (key not in sent or len(futures) < threads * AHEAD):
                ahead = first[len(sent)]
                work = [todo[i] for i in groups[ahead]]
                futures[ahead] = client.submit(
                    deid_study, work, options, secret, staging, pure=False
                )
                sent.add(ahead)
            if index not in done:
                future = futures.pop(key)
                try:
                    out = future.result()
                except Exception as exc:  # the task's error, or the cluster's (KilledWorker)
                    raise UsageError(
                        f"the Dask cluster could not de-identify the study of {task[1]} ({exc}); "
                        "the files done so far are kept: run the same command again to resume"
                    ) from exc
                for i, result in zip(groups[key], out, strict=True):
                    done[i] = result
                future.release()
            yield task, done.pop(index)
    finally:
        if futures:  # the run stopped early: the studies left are not run for nothing
            client.cancel(list(futures.values()))


def studies(todo: list[Task]) -> dict[str, list[int]]:
    """The indexes into ``todo`` of each study's files (a file of no study on its own),
    read here from the headers (while the cluster starts)."""
    groups: dict[str, list[int]] = {}
    for index, task in enumerate(todo):
        study = study_of(task[0])
        groups.setdefault(f"study:{study}" if study else f"file:{index}", []).append(index)
    return groups
