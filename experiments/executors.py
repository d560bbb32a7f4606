"""Executors: where the replications of an experiment run, behind one interface.

``serial`` (this process), ``local:N`` (N worker processes; a spawn context created here, never
a change of the global start method) and ``dask:local:N`` or ``dask://HOST:PORT`` (a
dask.distributed LocalCluster, or an existing cluster's scheduler). Every executor runs the same
pure task function, so results are identical whichever is used; results come back as tasks
finish.
"""

from __future__ import annotations

import multiprocessing
import re
import signal
import threading
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import ProcessPoolExecutor, as_completed
from typing import Any

__all__ = ["Executor", "make_executor", "EXECUTOR_HELP"]

EXECUTOR_HELP = "serial | local:N | dask:local:N | dask://HOST:PORT"


class Executor:
    """Runs ``fn(*task)`` for each task and yields results as they complete."""

    name = "serial"

    def __enter__(self) -> Executor:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def map_unordered(self, fn: Callable[..., Any], tasks: Iterable[tuple]) -> Iterator[Any]:
        for task in tasks:
            yield fn(*task)

    def close(self) -> None:
        pass


def _ignore_interrupts() -> None:
    """Workers leave Ctrl-C to the parent, which cancels them and keeps what was written (a
    terminal sends SIGINT to the whole process group)."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)


class LocalProcesses(Executor):
    def __init__(self, workers: int) -> None:
        self.name = f"local:{workers}"
        self._pool = ProcessPoolExecutor(max_workers=workers,
                                         mp_context=multiprocessing.get_context("spawn"),
                                         initializer=_ignore_interrupts)

    def map_unordered(self, fn: Callable[..., Any], tasks: Iterable[tuple]) -> Iterator[Any]:
        futures = [self._pool.submit(fn, *task) for task in tasks]
        try:
            for future in as_completed(futures):
                yield future.result()
        finally:
            for future in futures:
                future.cancel()

    def close(self) -> None:
        self._pool.shutdown(wait=True, cancel_futures=True)


class DaskCluster(Executor):
    def __init__(self, address: str | None, workers: int = 2) -> None:
        try:
            from dask.distributed import Client, LocalCluster
        except ImportError as exc:  # the optional extra is missing
            raise ValueError("dask executors need the 'distributed' extra: "
                             "pip install 'drsim[distributed]'") from exc
        self._cluster = None
        if address is None:
            self.name = f"dask:local:{workers}"
            # The workers start with SIGINT ignored (inherited): a terminal's Ctrl-C reaches
            # the whole process group, and only this process should handle it. (signal.signal
            # works in the main thread only; elsewhere workers keep the default.)
            main = threading.current_thread() is threading.main_thread()
            previous = signal.signal(signal.SIGINT, signal.SIG_IGN) if main else None
            try:
                self._cluster = LocalCluster(n_workers=workers, threads_per_worker=1,
                                             processes=True, dashboard_address=None)
            finally:
                if main:
                    signal.signal(signal.SIGINT, previous)
            self._client = Client(self._cluster)
        else:
            self.name = f"dask://{address}"
            self._client = Client(f"tcp://{address}")

    def map_unordered(self, fn: Callable[..., Any], tasks: Iterable[tuple]) -> Iterator[Any]:
        from dask.distributed import as_completed as dask_completed

        futures = [self._client.submit(fn, *task, pure=False) for task in tasks]
        try:
            for future in dask_completed(futures):
                yield future.result()
        finally:
            self._client.cancel(futures)

    def close(self) -> None:
        self._client.close()
        if self._cluster is not None:
            self._cluster.close()


def make_executor(text: str) -> Executor:
    """An executor from its name (see EXECUTOR_HELP); ValueError for anything else."""
    if text == "serial":
        return Executor()
    if match := re.fullmatch(r"local:(\d+)", text):
        return LocalProcesses(max(1, int(match.group(1))))
    if match := re.fullmatch(r"dask:local:(\d+)", text):
        return DaskCluster(None, max(1, int(match.group(1))))
    if match := re.fullmatch(r"dask://([\w.\-]+:\d+)", text):
        return DaskCluster(match.group(1))
    raise ValueError(f"unknown executor {text!r}; expected {EXECUTOR_HELP}")
