"""icmaps.dask: tallies of partitions added in a tree equal the in-memory answers."""

from __future__ import annotations

import itertools
import os
import sys
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings, strategies as st

import icmaps
from icmaps.errors import MissingExtraError, RatingsError, UsageError
from icmaps.maps.codec import load_map
from icmaps.maps.model import Map
from icmaps.ratings.ratingset import RatingSet
from tests.conftest import DATA
from tests.strategies import rating_records

dask = pytest.importorskip("dask")
dd = pytest.importorskip("dask.dataframe")
idk = pytest.importorskip("icmaps.dask")


@pytest.fixture(scope="module")
def nested() -> Map:
    return load_map(DATA / "valid" / "nested.yaml")


def _same(c: Any, rs: RatingSet) -> None:
    """The statistics of counted ratings equal those of the RatingSet."""
    assert c.ok
    assert c.tally == icmaps.tally(rs, c.tally.by)
    assert icmaps.summarize(c, by="occasion") == icmaps.summarize(rs, by="occasion")
    assert icmaps.fidelity(c).to_dict() == icmaps.fidelity(rs).to_dict()
    assert (
        icmaps.agreement(c, by="component").to_dict()
        == icmaps.agreement(rs, by="component").to_dict()
    )
    if len(rs.categories("occasion")) > 1:
        assert icmaps.compare(c).to_dict() == icmaps.compare(rs).to_dict()


def _cut(n: int, cuts: list[int]) -> list[tuple[int, int]]:
    points = sorted({0, n, *(c % (n + 1) for c in cuts)})
    return list(itertools.pairwise(points))


@settings(
    max_examples=20, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    data=st.data(),
    cuts=st.lists(st.integers(0, 10_000), max_size=6),
    suffixes=st.lists(st.sampled_from([".csv", ".jsonl", ".parquet"]), min_size=7, max_size=7),
    split_every=st.integers(2, 4),
)
def test_any_partitioning_of_files_gives_the_in_memory_answers(  # noqa: PLR0917
    data: st.DataObject,
    cuts: list[int],
    suffixes: list[str],
    split_every: int,
    nested: Map,
    tmp_path_factory: pytest.TempPathFactory,
) -> None:
    rs = RatingSet.from_records(nested, data.draw(rating_records(nested, max_size=60)))
    folder = tmp_path_factory.mktemp("parts")
    files = []
    for i, (a, b) in enumerate(_cut(len(rs), cuts)):
        f = folder / f"part-{i:02d}{suffixes[i]}"
        icmaps.write_ratings(rs._take(list(range(a, b))), f)
        files.append(f)
    c = idk.tally(str(folder / "part-*"), nested, scheduler="sync", split_every=split_every)
    _same(c, rs)


@settings(
    max_examples=15, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(data=st.data(), npartitions=st.integers(1, 6))
def test_any_partitioning_of_a_dataframe_gives_the_in_memory_answers(
    data: st.DataObject, npartitions: int, nested: Map
) -> None:
    rs = RatingSet.from_records(nested, data.draw(rating_records(nested, max_size=60)))
    frame = rs.to_arrow().to_pandas()
    c = idk.tally(dd.from_pandas(frame, npartitions=npartitions), nested, scheduler="sync")
    _same(c, rs)


def test_examples_on_threads_with_a_progress_bar(tmp_path: Path) -> None:
    import io

    rs = icmaps.read_ratings(icmaps.example_ratings("learning-school"), "learning-school")
    for district in ("north-valley-usd", "eastport-sd"):
        icmaps.write_ratings(rs.filter(district=district), tmp_path / f"{district}.parquet")
    c = idk.tally(str(tmp_path / "*.parquet"), "learning-school", scheduler="threads")
    rs = icmaps.read_ratings(str(tmp_path / "*.parquet"), "learning-school")  # in file order
    _same(c, rs)
    assert icmaps.report(c, by="district").to_dict() == icmaps.report(rs, by="district").to_dict()
    bar = io.StringIO()
    from icmaps._progress import Progress

    with Progress(True, unit="partitions", total=2, file=bar) as p:
        p.update(2)
    assert p.n == 2
    assert "0/2 [" in bar.getvalue()  # drawn at the start, then taken off
    idk.tally(str(tmp_path / "*.parquet"), "learning-school", scheduler="sync", progress=True)


def _csv(path: Path, rows: list[str]) -> Path:
    path.write_text("subject,rater,occasion,component,code\n" + "".join(r + "\n" for r in rows))
    return path


ROW = "s1,r1,fall,al-teacher-routine,{}"


def test_problems_of_every_partition_keep_file_and_line(tmp_path: Path) -> None:
    a = _csv(tmp_path / "a.csv", [ROW.format(2), "s2,r1,fall,al-teacher-routine,9"])
    b = _csv(tmp_path / "b.csv", ["s3,r1,fall,no-such,2"])
    with pytest.raises(RatingsError) as info:
        idk.tally([a, b], "learning-school", scheduler="sync")
    assert [(Path(p.path or "").name, p.line) for p in info.value.problems] == [
        ("a.csv", 3),
        ("b.csv", 2),
    ]
    frame = dd.from_pandas(
        __import__("pandas").DataFrame(
            {
                "subject": ["s1", "s2", "s3", "s4"],
                "rater": ["r"] * 4,
                "occasion": ["o"] * 4,
                "component": ["al-teacher-routine"] * 4,
                "code": ["1", "2", "9", "3"],
            }
        ),
        npartitions=2,
    )
    c = idk.tally(frame, "learning-school", scheduler="sync", errors="collect")
    assert [(p.path, p.line) for p in c.problems] == [("<partition 2>", 1)]
    assert len(c) == 3


def test_repeats_across_partitions_as_read_ratings_treats_them(tmp_path: Path) -> None:
    a = _csv(tmp_path / "a.csv", [ROW.format(2), "s2,r1,fall,al-teacher-routine,1"])
    b = _csv(tmp_path / "b.csv", [ROW.format(2), "s2,r1,fall,al-teacher-routine,3"])
    whole = _csv(
        tmp_path / "whole.txt", [*a.read_text().splitlines()[1:], *b.read_text().splitlines()[1:]]
    )
    want = icmaps.read_ratings(whole, "learning-school", format="long", errors="collect")
    c = idk.tally([a, b], "learning-school", scheduler="sync", errors="collect")
    assert c.tally == icmaps.tally(want.ratings, c.tally.by)
    assert [p.severity for p in c.problems] == ["error", "warning"]
    assert "conflicting ratings for subject 's2'" in c.problems[0].message
    trusted = idk.tally([a, b], "learning-school", scheduler="sync", duplicates="ignore")
    assert len(trusted) == 4


def test_options_and_missing_extras(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    path = icmaps.example_ratings("learning-school")
    with pytest.raises(UsageError, match="no file matches"):
        idk.tally(str(tmp_path / "*.csv"), "learning-school")
    with pytest.raises(UsageError, match="split_every"):
        idk.tally([path], "learning-school", split_every=1)
    with pytest.raises(UsageError, match="not both"), idk.cluster(2, "tcp://x:1"):
        pass
    monkeypatch.setitem(sys.modules, "dask", None)
    with pytest.raises(MissingExtraError, match=r"icmaps\[dask\]"):
        idk.tally([path], "learning-school")


def _environ(name: str) -> str | None:
    import os

    return os.environ.get(name)


@pytest.mark.slow
def test_a_local_cluster_of_worker_processes_gives_the_same_answers(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    rs = icmaps.read_ratings(icmaps.example_ratings("learning-school"), "learning-school")
    files = []
    for i, subject in enumerate(s for s in rs.categories("subject") if s is not None):
        f = tmp_path / f"{i}{'.csv' if i % 2 else '.parquet'}"
        icmaps.write_ratings(rs.filter(subject=subject), f)
        files.append(f)
    # as a default LocalCluster started earlier in this process leaves it
    monkeypatch.setenv("MALLOC_TRIM_THRESHOLD_", "65536")
    monkeypatch.delenv("MALLOC_MMAP_THRESHOLD_", raising=False)
    with idk.cluster(workers=2) as client:
        workers = client.scheduler_info()["workers"]
        assert len(workers) == 2
        pids = set(client.run(__import__("os").getpid).values())
        assert len(pids) == 2
        assert __import__("os").getpid() not in pids  # processes, not threads
        # not Dask's MALLOC_TRIM_THRESHOLD_ (it halves counting speed), even where an earlier
        # cluster left it in this process's environment
        for name, value in idk.WORKER_MALLOC.items():
            assert set(client.run(_environ, name).values()) == {value}
        assert set(client.run(_environ, "OMP_NUM_THREADS").values()) == {"1"}  # Dask's, kept
        c = idk.tally(files, "learning-school", client=client, split_every=2)
    assert os.environ.get("MALLOC_MMAP_THRESHOLD_") is None  # this process's put back
    assert os.environ.get("MALLOC_TRIM_THRESHOLD_") == "65536"
    rs = icmaps.read_ratings(files, "learning-school")  # in the files' order
    _same(c, rs)
    assert icmaps.report(c).to_dict() == icmaps.report(rs).to_dict()
