"""Where the runs of a sweep execute: a local process pool or a Dask cluster,
behind one small interface, driven by one loop (`run_all`).

Both executors offer `submit(fn, *args)` and `wait_any(futures)` (the
concurrent.futures and distributed APIs share that shape), so the loop that
hands out runs, stores each result as it arrives and retries runs whose
worker died is the same code for both.
"""

from __future__ import annotations

import concurrent.futures as cf
from collections import deque
from concurrent.futures.process import BrokenProcessPool
from typing import Any, Callable, Iterable, Protocol, Sequence

from prism_cp.errors import PrismError
from prism_cp.sweep.plan import Config
from prism_cp.sweep.run import failed_row, run_config
from prism_cp.sweep.store import Store

DASK_CONNECT_S = 3.0  # a scheduler that does not answer within this is reported as unreachable


class Executor(Protocol):
    #: how many runs execute at once (the loop keeps this many in flight)
    slots: int
    #: exceptions a future raises when the process running it died
    lost: tuple[type[BaseException], ...]
    #: whether a lost run is known to be the one that died (else it is retried alone)
    attributes_loss: bool

    def submit(self, fn: Callable[..., Any], *args: Any) -> Any: ...
    def wait_any(self, futures: Iterable[Any]) -> set[Any]: ...
    def recover(self) -> None: ...
    def close(self) -> None: ...


class LocalPool:
    """`jobs` worker processes on this machine. A worker that dies breaks the
    whole pool (every run in flight fails the same way), so `recover` starts a
    new one and the loop re-runs the casualties one at a time."""

    lost = (BrokenProcessPool,)
    attributes_loss = False

    def __init__(self, jobs: int) -> None:
        if jobs < 1:
            raise PrismError(f"--jobs must be >= 1, got {jobs}")
        self.slots = jobs
        self.pool = cf.ProcessPoolExecutor(jobs)

    def submit(self, fn: Callable[..., Any], *args: Any) -> cf.Future:
        return self.pool.submit(fn, *args)

    def wait_any(self, futures: Iterable[cf.Future]) -> set[cf.Future]:
        return cf.wait(futures, return_when=cf.FIRST_COMPLETED).done

    def recover(self) -> None:
        self.pool.shutdown(wait=True, cancel_futures=True)
        self.pool = cf.ProcessPoolExecutor(self.slots)

    def close(self) -> None:
        self.pool.shutdown(wait=True, cancel_futures=True)


class DaskCluster:
    """A running Dask cluster (`tcp://host:8786`); its workers must be able to
    import prism_cp and write to the schedules directory (a shared file system).
    Dask reschedules the runs of a dead worker itself and raises KilledWorker
    for a run that keeps killing workers."""

    attributes_loss = True

    def __init__(self, address: str, connect_s: float = DASK_CONNECT_S) -> None:
        try:
            from distributed import Client, KilledWorker
        except ImportError:
            raise PrismError("--dask needs the optional extra 'dask': pip install 'prism_cp[dask]'") from None
        try:
            self.client = Client(address, timeout=connect_s, set_as_default=False)
        except (OSError, TimeoutError, ValueError) as e:
            raise PrismError(f"no Dask scheduler answers at {address} within {connect_s:g} s ({e})") from None
        self.lost = (KilledWorker,)
        self.slots = max(1, sum(self.client.nthreads().values()))

    def submit(self, fn: Callable[..., Any], *args: Any) -> Any:
        return self.client.submit(fn, *args, pure=False)  # pure=False: a retry is a new task, not the failed one

    def wait_any(self, futures: Iterable[Any]) -> set[Any]:
        from distributed import wait

        with self.client.as_current():  # `wait` uses the current client; this one is not the global default
            return set(wait(list(futures), return_when="FIRST_COMPLETED").done)

    def recover(self) -> None:
        """Nothing to do: the cluster replaces its workers."""

    def close(self) -> None:
        self.client.close()


def run_all(
    configs: Sequence[Config],
    store: Store,
    executor: Executor,
    schedules_dir: str,
    *,
    retries: int = 1,
    workers: int | None = None,
    on_result: Callable[[dict[str, Any]], None] | None = None,
    run: Callable[..., dict[str, Any]] = run_config,
) -> int:
    """Run every config (model or verdict runs) the store has not finished;
    return how many were stored.

    Each row is stored (and committed) the moment it arrives, so an
    interruption loses only the runs in flight, which a re-run redoes. A run
    whose worker died is run again, up to `retries` times, then stored as
    FAILED with the reason (a later sweep tries it again). When the executor
    cannot tell which run killed a worker, every run in flight is re-run
    alone, and only a death while alone counts against a run. Any other
    exception in a run is stored as FAILED at once.
    `run(config, schedules_dir, workers)` is what executes a run. The
    executor is closed on return, or on Ctrl-C after the runs in flight end
    (a terminal's Ctrl-C also reaches local workers: cpsat then stops early).
    """
    done = store.finished()
    queue = deque(c for c in configs if c.key not in done)
    suspects: deque[Config] = deque()
    deaths: dict[str, int] = {}
    in_flight: dict[Any, Config] = {}
    stored = 0

    def submit(source: deque[Config]) -> bool:
        """Hand out the next run of `source`; False (the run stays first) if the pool just broke."""
        c = source.popleft()
        try:
            in_flight[executor.submit(run, c, schedules_dir, workers)] = c
        except executor.lost:  # a run in flight killed it and will report so; if none is, start afresh
            source.appendleft(c)
            if not in_flight:
                executor.recover()
            return False
        return True

    try:
        while queue or suspects or in_flight:
            if suspects and not in_flight:
                submit(suspects)
            while queue and not suspects and len(in_flight) < executor.slots and submit(queue):
                pass
            if not in_flight:
                continue
            alone = len(in_flight) == 1
            finished = executor.wait_any(list(in_flight))
            broken = not executor.attributes_loss and any(isinstance(f.exception(), executor.lost) for f in finished)
            if broken:  # the whole pool went down: collect every run that was in it
                finished = set(in_flight)
            for future in finished:
                c = in_flight.pop(future)
                error = future.exception()
                if isinstance(error, executor.lost):
                    if not (alone or executor.attributes_loss):
                        suspects.append(c)
                        continue
                    deaths[c.key] = deaths.get(c.key, 0) + 1
                    if deaths[c.key] <= retries:
                        (queue if executor.attributes_loss else suspects).append(c)
                        continue
                    row = failed_row(c, f"its worker process died {deaths[c.key]} times ({type(error).__name__})")
                elif error is not None:  # a bug in one run is recorded; it does not end the sweep
                    row = failed_row(c, f"{type(error).__name__}: {error}")
                else:
                    row = future.result()
                store.put(row)
                stored += 1
                if on_result:
                    on_result(row)
            if broken:
                executor.recover()
    finally:
        executor.close()
    return stored
