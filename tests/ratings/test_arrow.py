"""Parquet and Arrow: read (files, datasets, IPC), write, to_arrow / from_arrow, problems."""

from __future__ import annotations

from pathlib import Path

import pytest

import icmaps
from icmaps.errors import RatingsError
from icmaps.ratings.ratingset import RatingSet

pa = pytest.importorskip("pyarrow")
pq = pytest.importorskip("pyarrow.parquet")

EXAMPLES = ["learning-school", "spl-2022"]


def _example(name: str) -> RatingSet:
    return icmaps.read_ratings(icmaps.example_ratings(name), name)


@pytest.mark.parametrize("suffix", [".parquet", ".arrow", ".feather"])
@pytest.mark.parametrize("name", EXAMPLES)
def test_written_and_read_back_equal(name: str, suffix: str, tmp_path: Path) -> None:
    rs = _example(name)
    f = tmp_path / f"r{suffix}"
    icmaps.write_ratings(rs, f)
    back = icmaps.read_ratings(f, name)
    assert back == rs
    for column in ("subject", "rater", "component", "code", "role"):
        assert back.categories(column) == rs.categories(column)
    assert list(back.levels()) == list(rs.levels())


def test_format_chosen_by_name_or_given(tmp_path: Path) -> None:
    rs = _example("learning-school")
    icmaps.write_ratings(rs, tmp_path / "r.data", format="parquet")
    assert pq.read_table(tmp_path / "r.data").num_rows == len(rs)
    assert icmaps.read_ratings(tmp_path / "r.data", rs.map, format="parquet") == rs
    assert not list(tmp_path.glob(".*.tmp"))  # the temporary file is gone


def test_to_arrow_keeps_interned_columns_as_dictionaries() -> None:
    rs = _example("learning-school")
    t = rs.to_arrow()
    assert t.column_names == [
        "subject", "rater", "occasion", "component", "code", "role", "district",
    ]  # fmt: skip
    for name in t.column_names:
        col = t.column(name).combine_chunks()
        assert pa.types.is_dictionary(col.type)
        assert col.dictionary.to_pylist() == [v for v in rs.categories(name) if v is not None]
    assert t.column("code").to_pylist() == rs.column("code")  # blanks are nulls
    assert RatingSet.from_arrow(rs.map, t) == rs
    assert RatingSet.from_arrow(rs.map, t.to_batches()[0]) == rs


def test_dictionary_columns_are_read_through_their_dictionary() -> None:
    from icmaps.ratings.engines import _arrow_column

    indices = pa.array([2, 0, 2, None, 2] * 1000, type=pa.int8())
    arr = pa.DictionaryArray.from_arrays(indices, pa.array(["b", "a", "c", "unused"]))
    values, index = _arrow_column(arr)
    assert values == ["b", "a", "c", "unused", None]  # the dictionary, not the rows
    assert index[:5].tolist() == [2, 0, 2, 4, 2]


def _long(rows: list[tuple[object, ...]], **types: object) -> object:
    names = ["subject", "rater", "occasion", "component", "code"]
    cols = list(zip(*rows, strict=True))
    return pa.table(
        {n: pa.array(c, type=types.get(n)) for n, c in zip(names, cols, strict=True)}  # type: ignore[arg-type]
    )


def test_numbers_nulls_and_plain_strings_read_as_a_csv_would(tmp_path: Path) -> None:
    comp = "al-teacher-routine"
    rows = [("s1", "r1", "fall", comp, 2), ("s1", "r2", "fall", comp, None)]
    pq.write_table(_long(rows, code=pa.int64()), tmp_path / "int.parquet")
    pq.write_table(_long(rows, code=pa.float64()), tmp_path / "float.parquet")
    csv = tmp_path / "r.csv"
    csv.write_text(
        f"subject,rater,occasion,component,code\ns1,r1,fall,{comp},2\ns1,r2,fall,{comp},\n"
    )
    want = icmaps.read_ratings(csv, "learning-school")
    for f in ("int.parquet", "float.parquet"):
        assert icmaps.read_ratings(tmp_path / f, "learning-school") == want


def test_problems_name_the_file_row_and_column(tmp_path: Path) -> None:
    comp = "al-teacher-routine"
    rows = [
        ("s1", "r1", "fall", comp, "2"),
        ("s1", "r2", "fall", comp, "9"),
        ("s1", "r3", "fall", "no-such", "2"),
        ("s1", "r1", "fall", comp, "2"),
    ]
    f = tmp_path / "bad.parquet"
    pq.write_table(_long(rows), f)
    with pytest.raises(RatingsError) as info:
        icmaps.read_ratings(f, "learning-school")
    places = [(p.path, p.line, p.column, p.severity) for p in info.value.problems]
    assert places == [
        (str(f), 2, 5, "error"),
        (str(f), 3, 4, "error"),
        (str(f), 4, None, "warning"),
    ]
    missing = tmp_path / "nocode.parquet"
    pq.write_table(pa.table({"subject": ["s"], "rater": ["r"]}), missing)
    with pytest.raises(RatingsError, match="missing column occasion") as info:
        icmaps.read_ratings(missing, "learning-school")
    assert info.value.problems[0].line is None  # the schema, not a row
    with pytest.raises(RatingsError) as info:
        RatingSet.from_arrow(icmaps.load_map("learning-school"), _long(rows))
    assert [(p.path, p.line) for p in info.value.problems][:2] == [("<arrow>", 2), ("<arrow>", 3)]


def test_a_file_that_is_not_parquet_is_a_problem(tmp_path: Path) -> None:
    f = tmp_path / "r.parquet"
    f.write_text("subject,rater\n")
    with pytest.raises(RatingsError, match="not a Parquet file"):
        icmaps.read_ratings(f, "learning-school")
    g = tmp_path / "r.arrow"
    g.write_text("subject,rater\n")
    with pytest.raises(RatingsError, match="not an Arrow IPC file"):
        icmaps.read_ratings(g, "learning-school")


def test_a_dataset_folder_with_hive_partitions(tmp_path: Path) -> None:
    rs = _example("learning-school")
    t = rs.to_arrow()
    t = t.set_column(
        t.column_names.index("district"), "district", t.column("district").cast(pa.string())
    )
    pq.write_to_dataset(t, tmp_path / "ds", partition_cols=["district"])
    back = icmaps.read_ratings(tmp_path / "ds", "learning-school")
    assert len(back) == len(rs)
    assert icmaps.summarize(back, by="district") == icmaps.summarize(rs, by="district")
    counted = icmaps.count_ratings(tmp_path / "ds", "learning-school", by="district")
    assert counted.tally == icmaps.tally(rs, "district")
    files = sorted((tmp_path / "ds").rglob("*.parquet"))
    assert {
        p.path for b in icmaps.iter_ratings(tmp_path / "ds", "learning-school") for p in [b]
    } == {str(f) for f in files}


def test_parquet_streams_in_batches_with_row_numbers(tmp_path: Path) -> None:
    rs = _example("spl-2022")
    f = tmp_path / "r.parquet"
    pq.write_table(rs.to_arrow(), f, row_group_size=50)
    batches = list(icmaps.iter_ratings(f, "spl-2022", chunk_rows=7))
    assert all(0 < len(b) <= 7 for b in batches)
    assert [n for b in batches for n in b.lines] == list(range(1, len(rs) + 1))
    joined = sum((b.ratings for b in batches[1:]), batches[0].ratings)
    assert joined == rs


def test_arrow_ipc_stream_and_wide_tables(tmp_path: Path) -> None:
    rs = _example("learning-school")
    f = tmp_path / "r.arrows"
    with pa.OSFile(str(f), "wb") as sink, pa.ipc.new_stream(sink, rs.to_arrow().schema) as w:
        w.write_table(rs.to_arrow())
    assert icmaps.read_ratings(f, rs.map) == rs
    no_roles = RatingSet.from_records(rs.map, [r | {"role": None} for r in rs.to_records()])
    wide_csv = tmp_path / "w.csv"
    wide_csv.write_text(icmaps.dumps_ratings(no_roles, "wide"))
    want = icmaps.read_ratings(wide_csv, rs.map)
    from pyarrow import csv as pacsv

    # blanks are nulls; "NA" is a code (pyarrow would read it as a null by default)
    table = pacsv.read_csv(wide_csv, convert_options=pacsv.ConvertOptions(null_values=[""]))
    pq.write_table(table, tmp_path / "w.parquet")
    got = icmaps.read_ratings(tmp_path / "w.parquet", rs.map)
    assert icmaps.tally(got, ("subject", "rater", "occasion")) == icmaps.tally(
        want, ("subject", "rater", "occasion")
    )


def test_a_glob_of_parquet_files_counts_as_one_set(tmp_path: Path) -> None:
    rs = _example("learning-school")
    for occasion in ("2025-fall", "2026-spring"):
        icmaps.write_ratings(rs.filter(occasion=occasion), tmp_path / f"{occasion}.parquet")
    glob = str(tmp_path / "*.parquet")
    fall, spring = rs.filter(occasion="2025-fall"), rs.filter(occasion="2026-spring")
    assert icmaps.read_ratings(glob, rs.map) == fall + spring
    counted = icmaps.count_ratings(glob, rs.map)
    assert icmaps.fidelity(counted).to_dict() == icmaps.fidelity(rs).to_dict()


def _dict_table(order: list[str], rows: list[int]) -> object:
    """A long table whose subject column is a dictionary array over ``order``."""
    n = len(rows)
    subjects = pa.DictionaryArray.from_arrays(pa.array(rows, type=pa.int32()), pa.array(order))
    return pa.table(
        {
            "subject": subjects,
            "rater": pa.array([f"r{i}" for i in range(n)]),  # no key repeats
            "occasion": pa.array(["2025-fall"] * n),
            "component": pa.array(["al-teacher-routine"] * n),
            "code": pa.array(["2"] * n),
        }
    )


@pytest.mark.parametrize(
    ("order", "rows"),
    [
        (["s1", "s2", "s3"], [0, 1, 2, 1]),  # in first-seen order: the indices are used as is
        (["s3", "s1", "s2"], [1, 2, 0, 2]),  # another order: renumbered
        (["s1", "s2", "unused"], [0, 1, 1, 0]),  # a value no row uses
        (["s1", " s1", "s2"], [0, 1, 2, 2]),  # two values that are one once trimmed
    ],
)
def test_parquet_dictionaries_in_any_order_read_as_the_csv_would(
    order: list[str], rows: list[int], tmp_path: Path
) -> None:
    table = _dict_table(order, rows)
    pq.write_table(table, tmp_path / "r.parquet")
    frame = [
        ",".join([order[r].strip(), f"r{i}", "2025-fall", "al-teacher-routine", "2"])
        for i, r in enumerate(rows)
    ]
    (tmp_path / "r.csv").write_text("subject,rater,occasion,component,code\n" + "\n".join(frame))
    got = icmaps.read_ratings(tmp_path / "r.parquet", "learning-school", errors="collect")
    want = icmaps.read_ratings(tmp_path / "r.csv", "learning-school", errors="collect")
    assert got.ratings.categories("subject") == want.ratings.categories("subject")
    assert list(got.ratings.codes_of("subject")) == list(want.ratings.codes_of("subject"))
    assert got.problems == want.problems == ()
    assert got.ratings.to_records() == want.ratings.to_records()
