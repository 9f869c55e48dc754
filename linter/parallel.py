"""Worker processes for `fwlint check -j N`: one function applied to many independent items
(files, devices), each in whichever worker is free, the results in the order of the items.

Layer: infrastructure (used by the api and the policy evaluator). A pool of our own rather
than concurrent.futures: fwlint must know which item a worker was working on when it died
(to name the file), must stop its workers at once on Ctrl-C, and must never hang on a worker
that is gone. So each worker has its own pipe and is given one item at a time; the parent
waits on the pipes and on the processes themselves.

- A worker ignores SIGINT (the terminal sends Ctrl-C to the whole process group): the parent
  alone sees KeyboardInterrupt, terminates its workers and lets it through (click: "Aborted!").
- A worker that dies (a signal, the out-of-memory killer, a crash in a C library) is
  `WorkerDied`, naming the item it had; every other worker is stopped. Nothing is reported
  from a run that lost a worker: a one-line error, exit 2.
- An exception inside a worker is a bug: `WorkerFailed` carries its type, where it was
  raised and the worker's traceback (shown with FWLINT_DEBUG=1), as the cli reports a bug of
  its own process.
- Workers are forked where fork is the platform's way (Linux: they start at once and inherit
  the parent's imports and built parsers); elsewhere spawned. Nothing a worker needs may come
  from a context variable of the parent (they do not cross processes): it is passed with the
  initializer's arguments or with each item.
"""

from __future__ import annotations

import gc
import multiprocessing
import multiprocessing.connection
import os
import signal
import sys
import traceback
from dataclasses import dataclass
from typing import Any, Callable, Sequence


def usable_cores() -> int:
    """The cores this process may run on (its CPU affinity), at least 1."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except (AttributeError, OSError):  # (not on every platform)
        return max(1, os.cpu_count() or 1)


class WorkerDied(Exception):
    """A worker process ended while it held an item (killed, out of memory, a crash)."""


@dataclass
class WorkerFailed(Exception):
    """An exception raised inside a worker: a bug of fwlint, reported like one."""

    type_name: str
    where: str  # " at file.py:123" (the innermost frame), or ""
    remote_traceback: str
    recursion: bool = False  # a RecursionError (the cli has a message of its own for it)

    def __str__(self) -> str:
        return f"{self.type_name}{self.where}"


def _context():
    """Fork where it is the platform's default way (Linux), else spawn: a forked worker starts
    in milliseconds with the parent's modules; macOS and Windows spawn (fork is unsafe there)."""
    methods = multiprocessing.get_all_start_methods()
    if sys.platform.startswith("linux") and "fork" in methods:
        return multiprocessing.get_context("fork")
    return multiprocessing.get_context("spawn")


def _describe_exit(code: int | None) -> str:
    if code is None:
        return "it stopped answering"
    if code < 0:
        try:
            name = signal.Signals(-code).name
        except ValueError:
            name = f"signal {-code}"
        return f"killed by {name}" + (", as the out-of-memory killer does" if -code == signal.SIGKILL else "")
    return f"it exited with status {code}"


def _innermost(tb) -> str:
    while tb is not None and tb.tb_next is not None:
        tb = tb.tb_next
    return f" at {os.path.basename(tb.tb_frame.f_code.co_filename)}:{tb.tb_lineno}" if tb is not None else ""


def _worker_main(conn, initializer, initargs) -> None:
    """A worker's whole life: initialise, then answer one item at a time until told to stop
    (None) or the parent goes away."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is the parent's to handle
    if initializer is not None:
        initializer(*initargs)
    while True:
        try:
            message = conn.recv()
        except (EOFError, OSError):  # the parent is gone
            return
        if message is None:
            return
        index, fn, item = message
        try:
            answer = ("ok", fn(item))
        except Exception as e:  # a bug: carried to the parent, reported there in one line
            answer = ("failed", WorkerFailed(type(e).__name__, _innermost(e.__traceback__),
                                             traceback.format_exc(), isinstance(e, RecursionError)))
        try:
            conn.send((index, answer))
        except (EOFError, OSError):
            return


class _Worker:
    def __init__(self, ctx, initializer, initargs) -> None:
        self.conn, child = ctx.Pipe(duplex=True)
        self.process = ctx.Process(target=_worker_main, args=(child, initializer, initargs), daemon=True)
        self.process.start()
        child.close()  # (the parent keeps its own end only: EOF when the worker is gone)
        self.index: int | None = None  # the item it holds

    def give(self, index: int, fn, item) -> None:
        self.index = index
        self.conn.send((index, fn, item))

    def stop(self, force: bool) -> None:
        if force:
            if self.process.is_alive():
                self.process.terminate()
        else:
            try:
                self.conn.send(None)
            except (OSError, ValueError):
                pass
        self.process.join(timeout=5)
        if self.process.is_alive():  # pragma: no cover - a worker that ignores SIGTERM
            self.process.kill()
            self.process.join(timeout=5)
        self.conn.close()


def _start(ctx, jobs: int, initializer, initargs) -> list[_Worker]:
    """`jobs` workers. A forked worker shares the parent's memory until either writes to it,
    and the cyclic garbage collector writes to every object it walks: what the parent holds
    is set aside (gc.freeze) while the workers are forked, so their collections leave it
    alone (and unshared pages uncopied)."""
    fresh = ctx.get_start_method() == "fork" and gc.get_freeze_count() == 0
    if fresh:
        gc.freeze()
    started: list[_Worker] = []
    try:
        for _ in range(jobs):
            started.append(_Worker(ctx, initializer, initargs))
        return started
    except BaseException:  # (Ctrl-C or a failed start: none is left behind)
        for w in started:
            w.stop(force=True)
        raise
    finally:
        if fresh:
            gc.unfreeze()  # (in this process only: the workers keep theirs set aside)


def run(fn: Callable[[Any], Any], items: Sequence[Any], jobs: int, *,
        initializer: Callable[..., None] | None = None, initargs: tuple = (),
        label: Callable[[Any], str] = str,
        on_result: Callable[[int, Any], None] | None = None) -> list[Any]:
    """[fn(item) for item in items], computed in up to `jobs` worker processes; in this
    process (and without `initializer`) when jobs <= 1 or there are fewer than two items.
    `fn` must be a module-level function (it is sent by name), `items` and the results must
    pickle. `on_result(index, result)` is called in this process as each result arrives (in
    the order they arrive); `label(item)` names an item in errors."""
    jobs = min(jobs, len(items))
    if jobs <= 1:
        out = []
        for i, item in enumerate(items):
            out.append(fn(item))
            if on_result is not None:
                on_result(i, out[-1])
        return out
    ctx = _context()
    results: list[Any] = [None] * len(items)
    workers: list[_Worker] = []
    clean = False
    try:
        workers = _start(ctx, jobs, initializer, initargs)
        todo = iter(range(len(items)))
        busy: dict[Any, _Worker] = {}
        for w in workers:
            i = next(todo, None)
            if i is None:
                break
            w.give(i, fn, items[i])
            busy[w.conn] = w
        while busy:
            waitables = list(busy) + [w.process.sentinel for w in busy.values()]
            ready = multiprocessing.connection.wait(waitables)
            for w in list(busy.values()):
                if w.conn not in ready and w.process.sentinel not in ready:
                    continue
                try:
                    index, answer = w.conn.recv()
                except (EOFError, OSError):
                    w.process.join(timeout=5)
                    raise WorkerDied(f"{label(items[w.index])}: not checked: the worker process checking it "
                                     f"stopped ({_describe_exit(w.process.exitcode)}); nothing is reported "
                                     "(-j 1 checks in one process)") from None
                kind, value = answer
                if kind == "failed":
                    raise value
                results[index] = value
                w.index = None
                del busy[w.conn]
                if on_result is not None:
                    on_result(index, value)
                i = next(todo, None)
                if i is not None:
                    w.give(i, fn, items[i])
                    busy[w.conn] = w
        clean = True
        return results
    finally:
        # normal end: each worker is told to stop; any other (Ctrl-C, a dead worker, a bug):
        # every worker is terminated at once, none is left behind or waited for long
        for w in workers:
            w.stop(force=not clean)
