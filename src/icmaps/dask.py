"""Counting ratings on a Dask cluster: one tally per partition, added up in a tree.

``pip install 'icmaps[dask]'`` (``dask[dataframe]`` and ``distributed``). :func:`tally` takes
many files (a list or a glob: CSV, JSON Lines, Parquet, Arrow) or a dask DataFrame. Each
partition (a file, or a DataFrame partition) is read and checked on a worker by the same
checker as :func:`icmaps.read_ratings`, tallied, and the tallies travel back small and are
added in a tree; the result is a :class:`~icmaps.stats.tally.Counted` that
:func:`~icmaps.summarize`, :func:`~icmaps.fidelity`, :func:`~icmaps.compare`,
:func:`~icmaps.consensus`, :func:`~icmaps.agreement` and :func:`~icmaps.report` take, with
every problem of every partition (file and line; DataFrame partitions are named
``<partition N>`` and their rows numbered from 1).

Repeated keys are dropped within a partition as :func:`icmaps.iter_ratings` drops them, and
across partitions once the tallies are added, when the tally keeps the key columns (subject,
rater and occasion; ``by=None`` does): the same code counted in several partitions is kept
once (a warning), different codes are an error and the key is left out, as
:func:`icmaps.read_ratings` does within a file. With a tally that does not keep the keys,
repeats across partitions are not seen: split the files by subject, or check them first.

>>> import icmaps, icmaps.dask
>>> path = icmaps.example_ratings("learning-school")
>>> c = icmaps.dask.tally([path], "learning-school", by="occasion", scheduler="sync")
>>> c.tally == icmaps.tally(icmaps.read_ratings(path, "learning-school"), "occasion")
True
"""

from __future__ import annotations

import contextlib
import dataclasses
import os
from collections.abc import Iterable, Iterator, Sequence
from typing import TYPE_CHECKING, Any, Literal

from icmaps._optional import require
from icmaps._progress import Progress
from icmaps.errors import Problem, RatingsError, UsageError
from icmaps.maps.model import Map
from icmaps.stats.stream import KEY_COLUMNS, count_batches, repeated_keys, widen
from icmaps.stats.tally import Counted, _by

if TYPE_CHECKING:
    from icmaps.ratings.read import Duplicates, ReadFormat

__all__ = ["WORKER_MALLOC", "cluster", "tally"]


WORKER_MALLOC = {"MALLOC_TRIM_THRESHOLD_": "134217728", "MALLOC_MMAP_THRESHOLD_": "33554432"}
"""glibc settings of the workers :func:`cluster` starts. Dask's own (``MALLOC_TRIM_THRESHOLD_``
65536, to give memory back) turn glibc's adaptive mmap threshold off: every array of more than
128 KB is then a fresh mmap whose pages fault in anew, and counting runs at less than half
speed. These keep arrays up to 32 MB on the heap and up to 128 MB of freed heap for reuse, as
glibc's adaptive threshold would (a variable set at all turns it off)."""

SPLIT_EVERY = 8
"""How many tallies one reduction task adds (the fan-in of the tree)."""


def _dask() -> Any:
    require("dask.dataframe", "icmaps.dask needs dask[dataframe]", extra="dask")
    return require("dask", "icmaps.dask needs dask", extra="dask")


# -- partitions --------------------------------------------------------------------------------


def _count_file(
    source: str,
    m: Map,
    by: tuple[str, ...] | None,
    *,
    chunk_rows: int,
    format: ReadFormat,
    duplicates: Duplicates,
) -> Counted:
    """One file, read and counted on a worker (problems collected, never raised)."""
    from icmaps.ratings.read import iter_ratings

    try:
        batches = iter_ratings(
            source, m, chunk_rows=chunk_rows, format=format, duplicates=duplicates
        )
        return count_batches(batches, m, by)
    except RatingsError as e:  # a file that cannot be read at all: its problems
        return _empty(m, by, e.problems)


def _count_frame(
    frame: Any, number: int, m: Map, by: tuple[str, ...] | None, duplicates: Duplicates
) -> Counted:
    """One pandas partition of a dask DataFrame, through Arrow (categoricals are read
    through their categories, never decoded per row)."""
    import pyarrow as pa

    from icmaps.ratings.checker import check
    from icmaps.ratings.engines import arrow_engine_batches
    from icmaps.ratings.read import checked_batches

    table = pa.Table.from_pandas(frame, preserve_index=False)
    name = f"<partition {number}>"
    chunks = arrow_engine_batches(table.to_batches(), table.schema.names, m, name)
    checked = (check(m, layout, raw) for layout, raw in chunks)
    return count_batches(checked_batches(checked, duplicates), m, by)


def _empty(m: Map, by: tuple[str, ...] | None, problems: Iterable[Problem]) -> Counted:
    c = count_batches(iter(()), m, by or KEY_COLUMNS)
    return dataclasses.replace(c, problems=tuple(problems))


def _add(*parts: Counted) -> Counted:
    """Counted partitions added up; partitions that kept different columns (files with
    different attributes) are widened to all of them first (blank where a file had none)."""
    names: list[str] = []
    for p in parts:
        names += [b for b in p.tally.by if b not in names]
    by = tuple(names)
    out: Counted | None = None
    for p in parts:
        if len(p) == 0 and not p.problems and out is not None:
            continue
        wide = dataclasses.replace(p, tally=widen(p.tally, by))
        out = wide if out is None else out + wide
    assert out is not None
    return out


# -- the graph ---------------------------------------------------------------------------------


def _partitions(
    source: Any,
    m: Map,
    by: tuple[str, ...] | None,
    *,
    chunk_rows: int,
    format: ReadFormat,
    duplicates: Duplicates,
) -> list[Any]:
    """One delayed Counted per partition."""
    dask = _dask()
    if hasattr(source, "to_delayed") and hasattr(source, "npartitions"):  # a dask DataFrame
        return [
            dask.delayed(_count_frame)(part, i + 1, m, by, duplicates)
            for i, part in enumerate(source.to_delayed())
        ]
    from icmaps.ratings.read import _options, ratings_sources

    files = ratings_sources(source)
    for f in files:
        if not isinstance(f, (str, os.PathLike)):
            raise UsageError("icmaps.dask.tally reads files (paths or a glob), not streams")
    _options(files, m, format, "auto")  # every file exists, the format is known: fail now
    return [
        dask.delayed(_count_file)(
            os.fspath(f),  # type: ignore[arg-type]
            m,
            by,
            chunk_rows=chunk_rows,
            format=format,
            duplicates=duplicates,
        )
        for f in files
    ]


def _tree(parts: list[Any], split_every: int) -> Any:
    dask = _dask()
    while len(parts) > 1:
        parts = [
            dask.delayed(_add)(*parts[i : i + split_every])
            for i in range(0, len(parts), split_every)
        ]
    return parts[0]


@contextlib.contextmanager
def cluster(workers: int | None = None, scheduler: str | None = None) -> Iterator[Any]:
    """A ``distributed.Client``: on a new local cluster of ``workers`` processes (one thread
    each: reading is Python work that holds the GIL), or on the existing cluster at
    ``scheduler`` (``tcp://host:8786``); closed (and the local cluster stopped) on exit.
    A local cluster's workers run without Dask's statistical profiler (it slows Python work
    such as reading; set ``distributed.worker.profile.enabled: false`` on a cluster of your
    own for the same) and with :data:`WORKER_MALLOC` in place of Dask's
    ``MALLOC_TRIM_THRESHOLD_`` (which halves counting speed; see docs/scale.md for a cluster of
    your own).

    >>> with cluster(1) as client:  # doctest: +SKIP
    ...     c = tally("ratings/*.parquet", "learning-school", client=client)
    """
    if (workers is None) == (scheduler is None):
        raise UsageError("give workers (a local cluster) or scheduler (an address), not both")
    distributed = require("distributed", "a Dask cluster needs distributed", extra="dask")
    if scheduler is not None:
        with distributed.Client(scheduler) as client:
            yield client
        return
    if not isinstance(workers, int) or isinstance(workers, bool) or workers < 1:
        raise UsageError(f"workers must be a positive whole number, not {workers!r}")
    dask = _dask()
    environ = {
        **(dask.config.get("distributed.nanny.pre-spawn-environ", None) or {}),
        **WORKER_MALLOC,
    }
    # a nanny takes a variable of this process's environment over its configuration (one an
    # earlier cluster left there too), and sets its own here: set ours, then put it back
    saved = {k: os.environ.get(k) for k in environ}
    os.environ.update(WORKER_MALLOC)
    try:
        with (
            # the workers' statistical profiler samples every thread's stack 100 times a
            # second under the GIL, which slows reading (Python work) by up to a third
            dask.config.set(
                {
                    "distributed.worker.profile.enabled": False,
                    "distributed.nanny.pre-spawn-environ": environ,
                }
            ),
            distributed.LocalCluster(
                n_workers=workers,
                threads_per_worker=1,
                processes=True,
                dashboard_address=None,  # no web server for a job on one machine
            ) as local,
            distributed.Client(local) as client,
        ):
            yield client
    finally:
        for k, v in saved.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v


def tally(
    source: str | os.PathLike[str] | Sequence[str | os.PathLike[str]] | Any,
    map: Map | str,
    by: str | Iterable[str] | None = None,
    *,
    client: Any = None,
    scheduler: str | None = None,
    chunk_rows: int = 100_000,
    format: ReadFormat = "auto",
    duplicates: Duplicates = "check",
    errors: Literal["raise", "collect"] = "raise",
    split_every: int = SPLIT_EVERY,
    progress: bool = False,
) -> Counted:
    """Count ratings on Dask: each partition checked and tallied where it is, the tallies
    added in a tree. The answers equal those of :func:`icmaps.read_ratings` and the same
    statistic, whatever the partitioning.

    ``source``: a list of files, a glob (``"ratings/*.parquet"``) or one file (CSV long or
    wide, JSON Lines, Parquet, Arrow; each file is one partition), or a dask DataFrame with
    the columns of a long ratings file. ``by`` as in :func:`icmaps.count_ratings` (None:
    every column). ``client`` is a ``distributed.Client`` to run on; else ``scheduler``
    names a Dask scheduler (``"sync"``, ``"threads"``, ``"processes"``) or the address of a
    running cluster (``"tcp://..."``); else Dask's default (the active client, if any).
    Problems: with ``errors="raise"`` (default) one :class:`~icmaps.errors.RatingsError`
    carries those of every partition; ``errors="collect"`` keeps them in ``.problems``.
    ``progress=True`` shows a bar of the partitions done on stderr (``icmaps[progress]``).

    >>> import icmaps
    >>> path = icmaps.example_ratings("spl-2022")
    >>> c = tally([path, path], "spl-2022", scheduler="sync", errors="collect")
    >>> len(c) == len(icmaps.read_ratings(path, "spl-2022")), c.problems[0].severity
    (True, 'warning')
    """
    from icmaps.maps.codec import load_map

    if errors not in ("raise", "collect"):
        raise UsageError(f"errors must be 'raise' or 'collect', not {errors!r}")
    if not isinstance(split_every, int) or split_every < 2:
        raise UsageError(f"split_every must be a whole number of at least 2, not {split_every!r}")
    m = map if isinstance(map, Map) else load_map(map)
    names = None if by is None else _by(by)
    parts = _partitions(
        source, m, names, chunk_rows=chunk_rows, format=format, duplicates=duplicates
    )
    with Progress(progress, unit="partitions", desc="counting", total=len(parts)) as bar:
        if client is None and scheduler is not None and "://" in scheduler:
            with cluster(scheduler=scheduler) as own:
                counted = _run(parts, split_every, own, None, bar)
        else:
            counted = _run(parts, split_every, client, scheduler, bar)
    if duplicates == "check" and len(parts) > 1:
        counted = repeated_keys(counted, "partitions")
    counted = dataclasses.replace(
        counted, problems=tuple(sorted(counted.problems, key=Problem.sort_key))
    )
    if errors == "raise" and not counted.ok:
        raise RatingsError(counted.problems)
    return counted


def _run(
    parts: list[Any], split_every: int, client: Any, scheduler: str | None, bar: Progress
) -> Counted:
    if client is not None:  # futures: the leaves are counted as they finish
        distributed = require("distributed", "a Dask client needs distributed", extra="dask")
        leaves = client.compute(parts)
        total = client.compute(_tree(list(leaves), split_every)) if len(leaves) > 1 else None
        for _ in distributed.as_completed(leaves):
            bar.update(1)
        result: Counted = (total if total is not None else leaves[0]).result()
        return result
    dask = _dask()
    callbacks = require("dask.callbacks", "icmaps.dask needs dask", extra="dask")

    keys = {p.key for p in parts}

    def done(key: Any, *_: Any) -> None:
        if key in keys:
            bar.update(1)

    with callbacks.Callback(posttask=done):
        (result,) = dask.compute(_tree(parts, split_every), scheduler=scheduler)
    counted: Counted = result
    return counted
