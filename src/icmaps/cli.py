"""The ``icmaps`` command: a thin shell over the library.

Exit codes: 0 success / valid, 1 invalid input, 2 usage error (bad arguments, missing files).
``run(argv)`` returns the code and is what tests call; ``main()`` is the console script.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import sys
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any, Protocol, TextIO

from icmaps.errors import (
    IcmapsError,
    LoadError,
    MapValidationError,
    NotFoundError,
    Problem,
    RatingsError,
    UsageError,
)

if TYPE_CHECKING:
    from pathlib import Path

__all__ = ["main", "run"]

EXIT_OK, EXIT_INVALID, EXIT_USAGE = 0, 1, 2


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> None:  # type: ignore[override]
        raise UsageError(f"{self.prog}: {message}")


MAX_PROBLEMS = 50
"""Lines of problems a command lists by default (``--max-problems``); identical problems
are one line each already, and ``--format json`` keeps every problem."""


def _problems_text(problems: Sequence[Problem], limit: int | None = MAX_PROBLEMS) -> str:
    """Problems one line per distinct problem (a count and the first places when it repeats),
    at most ``limit`` lines (None: all) and a line saying how many more there are."""
    from icmaps.errors import group_problems

    groups = group_problems(problems)
    shown = groups if limit is None else groups[:limit]
    text = "".join(f"{g}\n" for g in shown)
    rest = groups[len(shown) :]
    if rest:
        n = sum(g.count for g in rest)
        text += (
            f"... and {_plural(n, 'more problem')} of {_plural(len(rest), 'other kind')} "
            "(--max-problems N lists more; --format json gives every one)\n"
        )
    return text


def _whole(low: int, high: int | None = None, what: str = "") -> Callable[[str], int]:
    """An argparse type: a whole number from ``low`` (to ``high``), else a clear error."""

    def parse(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"expected a whole number, got {text!r}") from None
        if value < low or (high is not None and value > high):
            bounds = f"{low} to {high}" if high is not None else f"at least {low}"
            raise argparse.ArgumentTypeError(f"expected {bounds}{what}, got {value}")
        return value

    return parse


_max_problems = _whole(0, what=" (0: no limit)")
"""argparse type for --max-problems: a whole number, 0 for no limit."""


def _limit(args: argparse.Namespace | None) -> int | None:
    value = getattr(args, "max_problems", MAX_PROBLEMS)
    return None if value == 0 else int(value)


def _max_problems_option(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--max-problems",
        type=_max_problems,
        default=MAX_PROBLEMS,
        metavar="N",
        help=f"list at most N distinct problems (default {MAX_PROBLEMS}; 0: all); identical "
        "ones are one line with a count",
    )


MIN_WIDTH, MAX_WIDTH = 40, 1000
"""Bounds of ``--width`` and of the terminal width text is wrapped to."""


_width = _whole(MIN_WIDTH, MAX_WIDTH, " columns")
"""argparse type for --width: a whole number of 40 to 1000 columns."""


def _terminal_width(out: TextIO) -> int | None:
    """The width text is wrapped to when writing to a terminal (its width, or ``$COLUMNS``
    when set); None (no wrapping) when output goes to a file or a pipe, which keeps every
    line whole for grep and friends."""
    import shutil

    if not _isatty(out):
        return None
    return min(max(shutil.get_terminal_size().columns, MIN_WIDTH), MAX_WIDTH)


def _isatty(out: TextIO) -> bool:
    try:
        return out.isatty()
    except (AttributeError, ValueError):  # a closed or a file-like object without one
        return False


def _plural(n: int, word: str) -> str:
    return f"{n} {word}{'' if n == 1 else 's'}"


def _tally(problems: Sequence[Problem]) -> str:
    """'2 errors, 1 warning'."""
    n_err = sum(1 for p in problems if p.severity == "error")
    return f"{_plural(n_err, 'error')}, {_plural(len(problems) - n_err, 'warning')}"


# -- validate ---------------------------------------------------------------------------------


def _cmd_validate(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    from icmaps.maps.files import list_maps, map_files

    if getattr(args, "ratings", None):
        return _cmd_check_ratings(args, out, err)
    if not args.paths:
        raise UsageError("icmaps validate: give one or more map files or folders")
    if args.map:
        raise UsageError("icmaps validate: --map needs --ratings RATINGS")
    files, missing = map_files(args.paths)
    bundled = set(list_maps())
    files += [m for m in missing if m in bundled]  # a bundled map id is checked like a file
    missing = [m for m in missing if m not in bundled]
    if missing:
        raise UsageError("; ".join(f"{m}: no such file, folder or bundled map" for m in missing))
    if not files:
        raise UsageError(f"no map files (*.yaml, *.yml, *.json) in {' '.join(args.paths)}")
    results = [_check_one(f, args) for f in files]
    failed = [
        r
        for r in results
        if not r.ok or (args.strict and any(p.severity == "warning" for p in r.problems))
    ]
    if args.format == "json":
        payload = {
            "valid": not failed,
            "files": [
                {
                    "path": r.path,
                    "valid": r not in failed,
                    "problems": [p.to_dict() for p in r.problems],
                }
                for r in results
            ],
        }
        out.write(json.dumps(payload, indent=2) + "\n")
    else:
        for r in results:
            out.write(_problems_text(r.problems, _limit(args)))
        every = [p for r in results for p in r.problems]
        verdict = "invalid" if failed else "valid"
        err.write(f"{_plural(len(results), 'file')} checked: {verdict} ({_tally(every)})\n")
    return EXIT_INVALID if failed else EXIT_OK


def _check_one(path: str, args: argparse.Namespace) -> Any:
    """Check one map file; --rubric, --ideal and --acceptable go to the CASE packages only."""
    from icmaps.maps.codec import check_map

    if not path.lower().endswith(".json"):
        return check_map(path)
    try:
        return check_map(path, **_case_options(args))
    except UsageError:  # an icmaps JSON map file beside the packages
        return check_map(path)


def _cmd_check_ratings(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    from icmaps.ratings.read import read_ratings

    if not args.map:
        raise UsageError("icmaps validate --ratings needs --map MAP")
    if args.paths:
        raise UsageError(
            f"icmaps validate --ratings checks one ratings file; unexpected {' '.join(args.paths)}"
        )
    result = read_ratings(args.ratings, args.map, errors="collect")
    failed = not result.ok or (args.strict and bool(result.problems))
    if args.format == "json":
        payload = {
            "valid": not failed,
            "ratings": len(result.ratings),
            "problems": [p.to_dict() for p in result.problems],
        }
        out.write(json.dumps(payload, indent=2) + "\n")
    else:
        out.write(_problems_text(result.problems, _limit(args)))
        err.write(
            f"{args.ratings}: {'invalid' if failed else 'valid'} "
            f"({_plural(len(result.ratings), 'good rating')}, {_tally(result.problems)})\n"
        )
    return EXIT_INVALID if failed else EXIT_OK


def _cmd_template(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    from icmaps._io import atomic_write
    from icmaps.maps.codec import load_map
    from icmaps.ratings.sheets import legend, rating_template

    m = load_map(args.map)
    if args.role:
        m.role(args.role)
    fmt = _output_format(
        args,
        "text" if args.legend else "csv",
        ("text",) if args.legend else ("csv", "xlsx"),
        choose=False,
    )
    text: str | bytes
    if args.legend:
        text = legend(m, role=args.role)
    else:
        subjects = (
            [s.strip() for s in args.subjects.split(",") if s.strip()] if args.subjects else []
        )
        from icmaps.ratings.workbook import rating_workbook

        text = (rating_workbook if fmt == "xlsx" else rating_template)(
            m,
            role=args.role,
            subjects=subjects,
            occasion=args.occasion or "",
            rater=args.rater or "",
            wide=args.wide,
        )
    if args.output:
        atomic_write(args.output, text)
        err.write(f"wrote {args.output}\n")
    else:
        assert isinstance(text, str)  # a workbook needs -o NAME.xlsx
        out.write(text)
    return EXIT_OK


def _cmd_form(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    from icmaps.maps.codec import load_map
    from icmaps.render.form import form_html

    if args.output:
        _output_format(args, "html", ("html",), choose=False)
    m = load_map(args.map)
    if args.role:
        m.role(args.role)
    text = form_html(m, role=args.role, title=args.title)
    n = len(list((m.for_role(args.role) if args.role else m).iter_components()))
    return _deliver(args.output, text, out, err, f"rating form, {_plural(n, 'component')}")


def _cmd_export_grid(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    from icmaps.maps.codec import load_map
    from icmaps.maps.gridfile import grid_rows, write_grid

    if args.output:
        _output_format(args, "csv", ("csv", "xlsx"), choose=False)
    m = load_map(args.map)
    if args.output:
        write_grid(m, args.output)
        err.write(f"wrote {args.output} (the grid of {m.id} v{m.version})\n")
        return EXIT_OK
    import csv

    csv.writer(out, lineterminator="\n").writerows(grid_rows(m))
    return EXIT_OK


def _cmd_import_grid(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    from icmaps.maps.codec import dump_map, dumps_map
    from icmaps.maps.gridfile import read_grid

    if args.output:
        suffix = os.path.splitext(args.output)[1].lower()
        if suffix not in (".yaml", ".yml", ".json"):
            raise UsageError(
                f"{args.output}: a map is written as .yaml, .yml or .json, "
                f"not {suffix or 'a file without suffix'!r}"
            )
    m = read_grid(args.grid)
    if args.output:
        dump_map(m, args.output)
        n = len(m.all_components())
        err.write(f"wrote {args.output} ({m.id} v{m.version}, {_plural(n, 'component')})\n")
    else:
        out.write(dumps_map(m))
    return EXIT_OK


# -- report -----------------------------------------------------------------------------------


_BY_SUFFIX = {
    ".html": "html",
    ".htm": "html",
    ".md": "markdown",
    ".markdown": "markdown",
    ".json": "json",
    ".csv": "csv",
    ".txt": "text",
    ".xlsx": "xlsx",
}


def _output_format(
    args: argparse.Namespace,
    default: str,
    formats: tuple[str, ...] = ("html", "markdown", "json"),
    *,
    choose: bool = True,
) -> str:
    """--format if given, else the one the suffix of -o names (among ``formats``), else default.

    A suffix that names no format this command writes is refused, never written over with
    another format (``-o report.pdf`` would hold HTML)."""
    output = str(args.output or "")
    suffix = os.path.splitext(output)[1].lower()
    if suffix == ".pdf" and "html" in formats:
        stem = os.path.splitext(output)[0]
        raise UsageError(
            f"{output}: icmaps does not write PDF; write HTML (-o {stem}.html) and print it to "
            "PDF from a browser (Ctrl+P / Cmd+P: the page is laid out for printing)"
        )
    chosen = getattr(args, "format", None)  # commands without --format go by the suffix
    if chosen:
        return str(chosen)
    if not suffix:
        return default
    fmt = _BY_SUFFIX.get(suffix)
    if fmt is None or fmt not in (*formats, default):
        known = sorted(s for s, f in _BY_SUFFIX.items() if f in (*formats, default))
        raise UsageError(
            f"{output}: cannot write {suffix!r} files here; give a name ending in "
            f"{', '.join(known)}" + (" (or choose with --format)" if choose else "")
        )
    return fmt


def _cmd_report(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    from icmaps._io import atomic_write
    from icmaps.maps.codec import load_map
    from icmaps.ratings.ratingset import ReadResult
    from icmaps.ratings.read import read_ratings
    from icmaps.reporting import report

    if args.output and not args.each_subject:
        _output_format(args, "html")  # a name this command cannot write: say so first
    m = load_map(args.map)
    result: Any
    if _streaming(args):  # counted as read: every column kept, the report needs them all
        result = _counted(args, m, None, errors="collect")
        import dataclasses

        held = dataclasses.replace(result, problems=())  # listed once, by problems= below
    else:
        result = read_ratings(args.ratings, m, errors="collect")
        assert isinstance(result, ReadResult)
        held = _private(args, result.ratings)
    if not result.ok and not args.allow_problems:
        err.write(_problems_text(result.problems, _limit(args)))
        err.write(
            f"{_label(args)}: {_plural(len(result.problems), 'problem')}; no report written "
            "(--allow-problems writes one without the bad rows and lists them)\n"
        )
        return EXIT_INVALID
    if getattr(args, "anchor", None) is not None and not isinstance(result, ReadResult):
        raise UsageError("--anchor needs the ratings read whole: leave out --stream and --workers")
    anchor = _anchor_source(args, m, result.ratings) if isinstance(result, ReadResult) else None
    rated = _from_source(args, held)
    anchor = _private_anchor(args, anchor)
    if args.subject or args.each_subject:
        if args.min_n is not None:
            raise UsageError(
                "--min-n does not apply to --subject/--each-subject: a profile is one "
                "subject's own figures, for that subject's coaching conversation"
            )
        return _profiles(args, rated, out, err)
    fmt = _output_format(args, "html")
    r = report(
        rated,
        problems=_hide(args, result.problems),
        role=args.role,
        by=args.by,
        title=args.title,
        occasion=args.occasion,
        occasions=_occasion_list(args.occasions),
        base=args.base,
        period=args.period,
        privacy=(
            "subject and rater names pseudonymized (keyed HMAC-SHA256)"
            if args.pseudonymize
            else None
        ),
        min_n=args.min_n,
        anchor=anchor,
    )
    if r.occasion_order == "file" and len(r.occasions) > 1:
        err.write(f"warning: {_occasion_warning(r.occasions)}\n")
    if fmt == "json":
        text = json.dumps(r.to_dict(), indent=2, ensure_ascii=False, allow_nan=False) + "\n"
    else:
        text = r.to_markdown() if fmt == "markdown" else r.to_html()
    if args.output:
        atomic_write(args.output, text)
        err.write(
            f"wrote {args.output} ({_plural(len(r.occasions), 'occasion')}, "
            f"{_plural(r.n_ratings, 'rating')})\n"
        )
    else:
        out.write(text)
    return EXIT_OK


# -- summarize, fidelity, compare, diff --------------------------------------------------------


class _Result(Protocol):
    def to_dict(self) -> dict[str, object]: ...
    def to_csv(self, *, raw: bool = ...) -> str: ...
    def to_text(self, width: int | None = None) -> str: ...


def _emit(
    result: _Result, fmt: str, out: TextIO, raw: bool = False, width: int | None = None
) -> int:
    if fmt == "json":
        out.write(json.dumps(result.to_dict(), indent=2) + "\n")
    elif fmt == "csv":
        out.write(result.to_csv(raw=raw))
    else:
        # long text wraps to the terminal (or --width); in a file or pipe lines stay whole
        out.write(f"{result.to_text(width or _terminal_width(out))}\n")
    return EXIT_OK


def _private(args: argparse.Namespace, rs: Any) -> Any:
    """``--pseudonymize KEYFILE``: subject and rater names replaced by keyed pseudonyms;
    ``--pseudonym-map FILE`` writes the table back to names (only when asked)."""
    if not getattr(args, "pseudonymize", None):
        if getattr(args, "pseudonym_map", None):
            raise UsageError("--pseudonym-map needs --pseudonymize KEYFILE")
        return rs
    from icmaps._io import atomic_write
    from icmaps.ratings.privacy import pseudonymize, read_key

    hidden, table = pseudonymize(rs, read_key(args.pseudonymize))
    if args.pseudonym_map:
        lines = ["kind,pseudonym,name"] + [",".join(_csv_cell(x) for x in row) for row in table]
        # the way back to names: readable by its owner only
        atomic_write(args.pseudonym_map, "\n".join(lines) + "\n", mode=0o600)
    args.pseudonym_table = table  # for messages built from the file before (see _hide)
    # --subject may name the subject as the user knows it: it is looked up by its pseudonym
    subject = getattr(args, "subject", None)
    if subject:
        args.subject = next(
            (p for kind, p, name in table if kind == "subject" and name == subject), subject
        )
    return hidden


def _hide(args: argparse.Namespace, problems: Sequence[Problem]) -> tuple[Problem, ...]:
    """Problems found while reading name subjects and raters: under --pseudonymize their
    names become the pseudonyms there too."""
    table = getattr(args, "pseudonym_table", None)
    if not table:
        return tuple(problems)
    import dataclasses

    def hide(text: str) -> str:
        for _, pseudo, name in table:
            text = text.replace(repr(name), repr(pseudo))
        return text

    return tuple(
        dataclasses.replace(
            p,
            message=hide(p.message),
            value=hide(p.value) if isinstance(p.value, str) else p.value,
        )
        for p in problems
    )


def _csv_cell(text: str) -> str:
    from icmaps._tabular import spreadsheet_safe

    text = str(spreadsheet_safe(text))
    return '"' + text.replace('"', '""') + '"' if any(c in text for c in ',"\n\r') else text


def _privacy_options(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--pseudonymize",
        metavar="KEYFILE",
        help="replace subject and rater names by stable pseudonyms keyed by this file's secret",
    )
    p.add_argument(
        "--pseudonym-map",
        metavar="FILE",
        help="with --pseudonymize: also write the table from pseudonyms back to names",
    )


def _raw(args: argparse.Namespace) -> bool:
    return bool(getattr(args, "raw_csv", False))


def _table_format_options(p: argparse.ArgumentParser) -> None:
    """``--format text|json|csv`` and ``--raw-csv``: what every table command prints."""
    p.add_argument("--format", choices=["text", "json", "csv"], default="text")
    _raw_csv_option(p)


def _raw_csv_option(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--raw-csv",
        action="store_true",
        help="CSV cells exactly as they are: no ' before text starting with = + - @ "
        "(which a spreadsheet would otherwise run as a formula)",
    )


def _min_n_option(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--min-n",
        type=_min_n,
        metavar="K",
        help="hide every figure resting on fewer than K subjects (shown <K), and those that "
        "would give one back from a total (shown *); 10 or more for sharing beyond the school",
    )


_min_n = _whole(2)
"""argparse type for --min-n: a whole number of at least 2."""


def _read_rated(args: argparse.Namespace, stream_by: Sequence[str] | None = None) -> Any:
    """The ratings of RATINGS, privacy, role and consensus applied: held in memory, or, for
    the commands that pass ``stream_by`` (the columns their statistic groups by), counted as
    they stream when the input is large or on Dask (see :func:`_counted`)."""
    from icmaps.maps.codec import load_map
    from icmaps.ratings.ratingset import RatingSet
    from icmaps.ratings.read import read_ratings
    from icmaps.stats.consensus import consensus

    m = load_map(args.map)
    if stream_by is not None and _streaming(args):
        role = ("role",) if getattr(args, "role", None) else ()
        rs: Any = _counted(args, m, tuple(dict.fromkeys((*stream_by, *role))))
    else:
        rs = read_ratings(args.ratings, m)
        assert isinstance(rs, RatingSet)
        rs = _private(args, rs)
    if getattr(args, "role", None):
        rs = rs.for_role(args.role)
        if not len(rs):
            raise UsageError(f"{_label(args)}: no ratings for role {args.role!r}")
    if getattr(args, "consensus", None):
        rs, _ = consensus(rs, args.consensus)
    return rs


# -- large inputs: several files, streaming, Dask ---------------------------------------------

STREAM_BYTES = 100 * 2**20
"""Text inputs (CSV, JSON Lines, workbooks) larger than this, all files together, are counted
as they stream, not held: about 1.5M ratings of long CSV, which in memory would peak near
350 MB."""

STREAM_ROWS = 1_500_000
"""Parquet and Arrow inputs of more rows than this (from their metadata) stream too: they
are a few bytes a rating on disk, so their size says little (100 MB of Parquet can hold a
few hundred million ratings)."""


def _label(args: argparse.Namespace) -> str:
    """RATINGS as the user gave them (one file, several, or a glob), for messages."""
    given = args.ratings
    return given if isinstance(given, str) else " ".join(given)


def _size(path: str | os.PathLike[str]) -> float:
    """The input's share of what makes a command stream: its bytes over
    :data:`STREAM_BYTES`, or for Parquet and Arrow its rows over :data:`STREAM_ROWS`."""
    from pathlib import Path

    p = Path(path)
    try:
        rows = _rows(p)
        if rows is not None:
            return rows / STREAM_ROWS
        if p.is_dir():
            return sum(f.stat().st_size for f in p.rglob("*") if f.is_file()) / STREAM_BYTES
        return (p.stat().st_size if p.is_file() else 0) / STREAM_BYTES
    except OSError:  # a name the system cannot take: the reader says so, with the name cut
        return 0


def _rows(path: Path) -> int | None:
    """Rows of a Parquet file or dataset folder, or an Arrow IPC file, from metadata (None
    for other files, or when pyarrow cannot tell: the reader reports why)."""
    from icmaps._optional import has
    from icmaps.ratings.engines import ARROW_SUFFIXES, PARQUET_SUFFIXES

    columnar = path.is_dir() or path.suffix.lower() in (*PARQUET_SUFFIXES, *ARROW_SUFFIXES)
    if not columnar or not has("pyarrow"):
        return None
    import pyarrow as pa
    import pyarrow.parquet as pq

    try:
        if path.is_dir():  # the files the reader reads (not _SUCCESS, _metadata, .crc ...)
            import pyarrow.dataset as ds

            return int(ds.dataset(path, format="parquet", partitioning="hive").count_rows())
        if path.suffix.lower() in ARROW_SUFFIXES:
            with pa.memory_map(str(path)) as source:
                try:
                    reader = pa.ipc.open_file(source)
                    n = reader.num_record_batches
                    return sum(int(reader.get_batch(i).num_rows) for i in range(n))
                except pa.ArrowInvalid:
                    source.seek(0)
                    return sum(int(b.num_rows) for b in pa.ipc.open_stream(source))
        return int(pq.read_metadata(path).num_rows)
    except Exception:  # not readable as such: the reader says why, with the file's name
        return None


def _streaming(args: argparse.Namespace) -> bool:
    """Whether to count as the ratings stream (``--stream``, ``--workers``, ``--scheduler``,
    or input above :data:`STREAM_BYTES` or :data:`STREAM_ROWS`) rather than hold them.
    Options that need every rating kept (``--pseudonymize``, profiles, ``--disagreements``)
    hold them, unless streaming was asked for: then they are a usage error."""
    asked = [
        f"--{name}" for name in ("stream", "workers", "scheduler") if getattr(args, name, None)
    ]
    if getattr(args, "workers", None) and getattr(args, "scheduler", None):
        raise UsageError("give --workers (a local cluster) or --scheduler (a running one)")
    needs_rows = [
        option
        for option, name in (
            ("--pseudonymize", "pseudonymize"),
            ("--subject", "subject"),
            ("--each-subject", "each_subject"),
            ("--disagreements", "disagreements"),
        )
        if getattr(args, name, None)
    ]
    if needs_rows:
        if asked:
            raise UsageError(
                f"{needs_rows[0]} needs every rating in memory; it does not go with {asked[0]}"
            )
        return False
    if asked:
        return True
    from icmaps.ratings.read import ratings_sources

    files = ratings_sources(args.ratings)
    return sum(_size(f) for f in files if isinstance(f, (str, os.PathLike))) > 1


def _counted(
    args: argparse.Namespace, m: Any, by: Sequence[str] | None, *, errors: str = "raise"
) -> Any:
    """Count RATINGS as they stream (one process), or on Dask with ``--workers N`` (a local
    cluster of N processes) or ``--scheduler ADDRESS``, keeping the columns ``by`` (None:
    all). A progress bar shows on stderr when it is a terminal, unless ``--quiet``."""
    from icmaps._progress import wanted

    progress = wanted(bool(getattr(args, "quiet", False)), sys.stderr)
    duplicates = "ignore" if getattr(args, "trusted", False) else "check"
    if getattr(args, "workers", None) or getattr(args, "scheduler", None):
        from icmaps.dask import cluster, tally

        with cluster(args.workers, args.scheduler) as client:
            return tally(
                args.ratings,
                m,
                by,
                client=client,
                duplicates=duplicates,  # type: ignore[arg-type]
                errors=errors,  # type: ignore[arg-type]
                progress=progress,
            )
    from icmaps.stats.stream import count_ratings

    return count_ratings(
        args.ratings,
        m,
        by=by,
        duplicates=duplicates,  # type: ignore[arg-type]
        errors=errors,  # type: ignore[arg-type]
        progress=progress,
    )


def _workers(text: str) -> int:
    try:
        n = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a whole number, not {text!r}") from None
    if n < 1:
        raise argparse.ArgumentTypeError(f"expected at least 1, not {n}")
    return n


def _map_and_sources(p: argparse.ArgumentParser) -> None:
    """MAP and one or more RATINGS (files or globs), and the options for large inputs."""
    p.add_argument("map", metavar="MAP", help="bundled map id or file")
    p.add_argument(
        "ratings",
        metavar="RATINGS",
        nargs="+",
        help="ratings files (CSV long or wide, JSONL, Parquet file or folder, Arrow) or a glob "
        "such as 'data/*.parquet' (quoted); several are read as one set",
    )
    g = p.add_argument_group("large inputs")
    g.add_argument(
        "--stream",
        action="store_true",
        help=f"count the ratings as they are read instead of holding them (the default for "
        f"input above {STREAM_BYTES // 2**20} MB, or Parquet/Arrow of more than "
        f"{STREAM_ROWS:,} rows)",
    )
    g.add_argument(
        "--workers",
        type=_workers,
        metavar="N",
        help="count on a local Dask cluster of N worker processes (the [dask] extra)",
    )
    g.add_argument(
        "--scheduler",
        metavar="ADDRESS",
        help="count on a running Dask cluster, e.g. tcp://scheduler:8786",
    )
    g.add_argument(
        "--trusted",
        action="store_true",
        help="the ratings repeat no subject/rater/occasion/component key: do not look for "
        "repeats across batches and files (saves ~8 bytes a rating when streaming)",
    )
    g.add_argument(
        "-q",
        "--quiet",
        action="store_true",
        help="no progress bar (one shows on a terminal for streamed and Dask work, with the "
        "[progress] extra)",
    )


def _cmd_summarize(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    from icmaps.stats.summary import summarize

    by = tuple(args.by or ())
    keep = (*by, *(("subject",) if args.min_n is not None else ()))
    if args.consensus:  # consensus decides per subject and occasion, over the raters
        keep = ("subject", "occasion", *(b for b in by if b not in ("subject", "occasion")))
    rated = _read_rated(args, stream_by=keep)
    return _emit(summarize(rated, by=by, min_n=args.min_n), args.format, out, _raw(args))


_COMBINE = ("modal", "median", "conservative")
"""How several raters of a subject are combined (``--combine``; old spelling ``--rule``)."""


def _cmd_fidelity(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    from icmaps.stats.fidelity import fidelity

    combine = [r for r in args.rule or () if r in _COMBINE]
    chosen = [r for r in args.rule or () if r not in _COMBINE]
    if len({*combine, *([args.combine] if args.combine else [])}) > 1:
        raise UsageError("give one way to combine raters (--combine modal|median|conservative)")
    by = tuple(args.by or ("occasion",))
    result = fidelity(
        _read_rated(args, stream_by=("subject", "occasion", *by)),
        threshold=args.threshold,
        basis=args.basis,
        weights=not args.no_weights,
        critical=not args.no_critical,
        by=args.by or ("occasion",),
        rule=args.combine or (combine[0] if combine else "median"),
        rules=chosen or None,
        occasions=_occasion_list(args.occasions),
        period=args.period,
    )
    return _emit(result, args.format, out, _raw(args))


def _cmd_compare(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    from icmaps.stats.growth import compare

    rated = _read_rated(args, stream_by=(args.by, "subject", "occasion"))
    if args.period:
        rated = rated.in_periods(args.period)
    occasions = _occasion_list(args.occasions)
    if args.by == "occasion" and occasions is None:
        warning = rated.occasion_order().warning
        if warning:
            err.write(f"warning: {warning}\n")
    result = compare(
        rated,
        by=args.by,
        base=args.base,
        other=args.other,
        rule=args.rule,
        occasions=occasions,
        min_n=args.min_n,
    )
    if result.note:
        err.write(f"warning: {result.note}\n")
    return _emit(result, args.format, out, _raw(args))


def _cmd_trend(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    from icmaps.stats.growth import trend

    result = trend(_read_rated(args), occasions=_occasion_list(args.occasions), period=args.period)
    if result.order == "file" and len(result.occasions) > 1:
        err.write(f"warning: {_occasion_warning(result.occasions)}\n")
    return _emit(result, args.format, out, _raw(args))


def _profiles(args: argparse.Namespace, rs: Any, out: TextIO, err: TextIO) -> int:
    """``report --subject S`` (one profile) and ``report --each-subject -o DIR``."""
    import re
    from pathlib import Path

    from icmaps._io import atomic_write
    from icmaps.render.html import profile_html, profiles_index_html
    from icmaps.stats.profiles import profile

    occasions = _occasion_list(args.occasions)
    if args.subject:
        p = profile(rs, args.subject, occasion=args.occasion, occasions=occasions)
        fmt = _output_format(args, "html")
        if fmt == "json":
            text = json.dumps(p.to_dict(), indent=2, ensure_ascii=False) + "\n"
        elif fmt == "markdown":
            text = p.render("markdown")
        else:
            text = profile_html(p)
        return _deliver(args.output, text, out, err, f"profile of {p.subject}, {p.occasion}")
    if not args.output:
        raise UsageError("--each-subject writes one file per subject: give -o DIR")
    folder = Path(args.output)
    if folder.exists() and not folder.is_dir():
        raise UsageError(f"{folder}: not a folder (--each-subject writes one file per subject)")
    folder.mkdir(parents=True, exist_ok=True)
    entries: list[tuple[str, str]] = []
    used: set[str] = {"index"}
    skipped = 0
    for subject in sorted(str(s) for s in rs.categories("subject") if s is not None):
        # a safe, unique file name whatever the subject is called
        stem = re.sub(r"[^A-Za-z0-9_-]+", "-", subject).strip("-")[:80] or "subject"
        name, n = stem, 2
        while name.lower() in used:
            name, n = f"{stem}-{n}", n + 1
        used.add(name.lower())
        if args.occasion and args.occasion not in rs.filter(subject=subject).categories("occasion"):
            skipped += 1  # not rated on the occasion asked for
            continue
        p = profile(rs, subject, occasion=args.occasion, occasions=occasions)
        atomic_write(folder / f"{name}.html", profile_html(p, index="index.html"))
        entries.append((subject, f"{name}.html"))
    atomic_write(folder / "index.html", profiles_index_html(rs.map.title, entries))
    missing = f"; {skipped} not rated on {args.occasion}" if skipped else ""
    err.write(f"wrote {_plural(len(entries), 'profile')} and index.html to {folder}{missing}\n")
    return EXIT_OK


def _cmd_plan(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    from icmaps.stats.plans import action_plan

    fmt = _output_format(args, "text", ("html", "markdown", "json", "csv"))
    plan = action_plan(
        _from_source(args, _read_rated(args)),
        args.subject,
        target=args.target,
        occasion=args.occasion,
        occasions=_occasion_list(args.occasions),
        rule=args.rule,
    )
    if fmt == "html":
        from icmaps.render.html import plan_html

        text = plan_html(plan)
    elif fmt == "json":
        text = json.dumps(plan.to_dict(), indent=2, ensure_ascii=False) + "\n"
    elif fmt == "csv":
        text = plan.to_csv(raw=args.raw_csv)
    elif fmt == "markdown":
        text = plan.render("markdown")
    else:
        text = f"{plan}\n"
    what = f"{_plural(len(plan.items), 'item')} for {plan.subject}"
    return _deliver(args.output, text, out, err, what)


def _from_source(args: argparse.Namespace, rs: Any) -> Any:
    """``--source S``: only the ratings from that source (``self``, ``observer`` ...)."""
    wanted = getattr(args, "source", None)
    if not wanted:
        return rs
    if "source" not in rs.attributes:
        raise UsageError(f"--source {wanted}: the ratings have no source column")
    values = [str(v) for v in rs.categories("source") if v is not None]
    if wanted not in values:
        raise NotFoundError(f"--source: no ratings from {wanted!r} (sources: {', '.join(values)})")
    return rs.filter(source=wanted)


def _deliver(output: str | None, text: str, out: TextIO, err: TextIO, what: str) -> int:
    """Write ``text`` to ``output`` atomically (saying so on stderr) or to stdout."""
    if output:
        from icmaps._io import atomic_write

        atomic_write(output, text)
        err.write(f"wrote {output} ({what})\n")
    else:
        out.write(text)
    return EXIT_OK


def _cmd_configurations(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    from icmaps.stats.clustering import configurations

    result = configurations(_read_rated(args), distance=args.distance, k=args.k, rule=args.rule)
    return _emit(result, args.format, out, _raw(args))


def _occasion_list(text: str | None) -> list[str] | None:
    """``--occasions a,b,c``: the time order of the occasions (None when not given)."""
    if text is None:
        return None
    names = [p.strip() for p in text.split(",") if p.strip()]
    if not names:
        raise UsageError(
            "--occasions: give the occasions in time order, e.g. --occasions fall,spring"
        )
    return names


def _occasion_warning(occasions: tuple[str, ...]) -> str:
    from icmaps.ratings.occasions import OccasionOrder

    return OccasionOrder(occasions, "file").warning or ""


def _cmd_diff(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    from icmaps.maps.diff import diff_maps

    if args.old == args.new == "-":
        raise UsageError("icmaps diff: only one of OLD and NEW can be - (standard input)")
    try:
        old, new = _map_arg(args.old), _map_arg(args.new)
    except IcmapsError as e:
        if not args.exit_code:
            raise
        # 1 and 2 mean "changed" and "breaking" here: a map that cannot be read must not
        # pass a CI job that accepts changes
        prefix = "error: " if isinstance(e, UsageError | NotFoundError) else ""
        err.write(f"{prefix}{e}\n")
        return EXIT_TROUBLE
    d = diff_maps(old, new)
    _emit(d, args.format, out, _raw(args), args.width)
    if not args.exit_code or not d:
        return EXIT_OK
    return EXIT_BREAKING if d.breaking else EXIT_CHANGED


EXIT_CHANGED, EXIT_BREAKING, EXIT_TROUBLE = 1, 2, 3
"""``icmaps diff --exit-code``: the maps differ; a component or a level was removed; a map
could not be read (missing, not YAML/JSON, invalid)."""


def _map_arg(text: str) -> Any:
    """A map named on the command line: a file, a bundled id, ``-`` (standard input) or a
    pipe such as ``<(git show v1:maps/x.yaml)`` (a /dev/fd path: read once, never seeked)."""
    import stat

    from icmaps.maps._yaml import MAX_BYTES
    from icmaps.maps.codec import load_map, loads_map

    if text == "-":
        if sys.stdin is None:  # started without one (pythonw, some service managers)
            raise UsageError("-: there is no standard input to read a map from")
        stream = getattr(sys.stdin, "buffer", sys.stdin)
        data = stream.read(MAX_BYTES + 1)  # one byte over: the loader reports "too large"
        return loads_map(data, path="<stdin>")
    try:
        mode = os.stat(text).st_mode
    except OSError:
        return load_map(text)  # not there: load_map says what it is not
    if stat.S_ISREG(mode) or stat.S_ISDIR(mode):
        return load_map(text)
    # a pipe or a character device: reading to the end consumes it, so read it once here
    with open(text, "rb") as f:
        return loads_map(f.read(MAX_BYTES + 1), path=text)


# -- agreement --------------------------------------------------------------------------------


def _cmd_agreement(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    from icmaps.maps.codec import load_map
    from icmaps.ratings.ratingset import ReadResult
    from icmaps.ratings.read import read_ratings
    from icmaps.stats.disagreements import disagreements
    from icmaps.stats.reliability import agreement

    if args.level is not None and args.method != "krippendorff":
        raise UsageError("--level applies to --method krippendorff only")
    m = load_map(args.map)
    result: Any
    if _streaming(args):  # each rater's rating is what agreement reads
        result = _counted(args, m, ("subject", "rater", "occasion"), errors="collect")
        rated = result
    else:
        result = read_ratings(args.ratings, m, errors="collect")
        assert isinstance(result, ReadResult)
        rated = result.ratings
    err.write(_problems_text(result.problems, _limit(args)))
    if not result.ok:
        n = sum(1 for p in result.problems if p.severity == "error")
        err.write(f"{_label(args)}: {_plural(n, 'error')}; no agreement computed\n")
        return EXIT_INVALID
    raters = [r.strip() for r in args.raters.split(",") if r.strip()] if args.raters else None
    rep = agreement(
        rated,
        method=args.method,
        level=args.level or "ordinal",
        weights=args.weights,
        tolerance=args.tolerance,
        by=args.by,
        raters=raters,
        bootstrap=args.bootstrap,
        seed=args.seed,
        **({"icc": args.icc} if args.icc else {}),
        **({"percent": args.percent} if args.percent else {}),
    )
    dis = None
    if args.disagreements:
        chosen = result.ratings.filter(rater=raters) if raters else result.ratings
        dis = disagreements(chosen, min_levels=args.min_levels)
    if args.format == "json":
        payload = rep.to_dict()
        if dis is not None:
            payload["disagreements"] = dis.to_dict()
        out.write(json.dumps(payload, indent=2) + "\n")
    else:
        out.write(f"{rep}\n")
        if dis is not None:
            out.write(f"\n{dis}\n")
    return EXIT_OK


# -- calibrate --------------------------------------------------------------------------------


def _anchor_source(args: argparse.Namespace, m: Any, rs: Any) -> Any:
    """``--anchor``: a rater id of the ratings as given, or an anchor ratings file, read
    here (before --pseudonymize renames anything)."""
    from icmaps.ratings.read import read_ratings

    anchor = getattr(args, "anchor", None)
    if anchor is None or anchor in {str(r) for r in rs.categories("rater")}:
        return anchor
    return read_ratings(anchor, m) if os.path.isfile(anchor) else anchor


def _private_anchor(args: argparse.Namespace, anchor: Any) -> Any:
    """Under --pseudonymize the anchor goes by its pseudonym (a rater) or is pseudonymized
    with the same key (a file), so it still matches the ratings."""
    table = getattr(args, "pseudonym_table", None)
    if not table or anchor is None:
        return anchor
    if isinstance(anchor, str):
        return next((p for k, p, n in table if k == "rater" and n == anchor), anchor)
    from icmaps.ratings.privacy import pseudonymize, read_key

    return pseudonymize(anchor, read_key(args.pseudonymize))[0]


def _cmd_calibrate(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    from icmaps._table import render_table
    from icmaps.maps.codec import load_map
    from icmaps.ratings.ratingset import RatingSet
    from icmaps.ratings.read import read_ratings
    from icmaps.stats.calibration import calibrate

    m = load_map(args.map)
    rs = read_ratings(args.ratings, m)
    assert isinstance(rs, RatingSet)
    anchor = _anchor_source(args, m, rs)
    rs = _private(args, rs)
    anchor = _private_anchor(args, anchor)
    result = calibrate(rs, anchor, threshold=args.threshold, within=args.within)
    if args.format == "text":
        out.write(render_table(result.to_table(by_component=args.by_component), "text") + "\n")
        return EXIT_OK
    return _emit(result, args.format, out)


# -- schema -----------------------------------------------------------------------------------


def _cmd_schema(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    from icmaps._resources import schema_file
    from icmaps.maps.schema import schema_text

    out.write(schema_text() if args.generate else schema_file().read_text(encoding="utf-8"))
    return EXIT_OK


# -- maps -------------------------------------------------------------------------------------


def _cmd_maps_list(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    from icmaps._tabular import table
    from icmaps.maps.codec import load_map
    from icmaps.maps.files import list_maps

    rows: list[dict[str, Any]] = []
    for map_id in list_maps():
        m = load_map(map_id)
        rows.append(
            {
                "id": m.id,
                "version": m.version,
                "title": m.title,
                "components": len(m.all_components()),
                "roles": [r.id for r in m.roles],
            }
        )
    if args.format == "json":
        out.write(json.dumps(rows, indent=2) + "\n")
        return EXIT_OK
    out.write(
        table(
            ["id", "title", "components", "roles"],
            [[r["id"], r["title"], r["components"], ", ".join(map(str, r["roles"]))] for r in rows],
        )
        + "\n"
    )
    return EXIT_OK


def _cmd_maps_show(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    from icmaps.maps.codec import dumps_map, load_map
    from icmaps.render.text import map_grid

    m = load_map(args.map, **_case_options(args))
    if args.role:
        m = m.for_role(args.role)
    if args.format == "json":
        out.write(dumps_map(m, "json"))
    elif args.format == "yaml":
        out.write(dumps_map(m, "yaml"))
    else:
        out.write(map_grid(m, width=args.width or _terminal_width(out) or 120))
    return EXIT_OK


# -- export (CASE) -----------------------------------------------------------------------------


def _case_options(args: argparse.Namespace) -> dict[str, Any]:
    """--rubric, --ideal and --acceptable, for maps read from CASE packages."""
    return {"rubric": args.rubric, "ideal": args.ideal, "acceptable": args.acceptable}


def _count(least: int) -> Callable[[str], int]:
    def parse(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"expected a whole number, got {text!r}") from None
        if value < least:
            raise argparse.ArgumentTypeError(f"expected at least {least}, got {value}")
        return value

    return parse


def _case_arguments(p: argparse.ArgumentParser) -> None:
    """Options for reading a map from a 1EdTech CASE package (docs/case.md)."""
    p.add_argument(
        "--rubric",
        metavar="ID",
        help="CASE package with several rubrics: the one to read (identifier or title)",
    )
    p.add_argument(
        "--ideal",
        type=_count(1),
        metavar="N",
        help="CASE: the N most desired levels of each criterion are ideal (default: the "
        "package's zones, else 1)",
    )
    p.add_argument(
        "--acceptable",
        type=_count(0),
        metavar="N",
        help="CASE: the next N levels are acceptable, the rest unacceptable (default: the "
        "package's zones, else half of the levels below the ideal ones)",
    )


def _cmd_export(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    from icmaps.maps.codec import dumps_map, load_map

    m = load_map(args.map, **_case_options(args))
    fmt = args.format
    if fmt is None:  # -o's suffix: a map file for .yaml/.yml, else a CASE package
        yaml_out = os.path.splitext(str(args.output or ""))[1].lower() in (".yaml", ".yml")
        fmt = "yaml" if yaml_out else "case"
    text = dumps_map(m, fmt)
    what = {"case": "CASE 1.1 package", "json": "JSON map", "yaml": "YAML map"}[fmt]
    return _deliver(args.output, text, out, err, f"{what}, {len(m.all_components())} components")


# -- parser -----------------------------------------------------------------------------------

Handler = Callable[[argparse.Namespace, TextIO, TextIO], int]


def _map_and_ratings(p: argparse.ArgumentParser) -> None:
    """The MAP and RATINGS arguments every analysis command takes."""
    p.add_argument("map", metavar="MAP", help="bundled map id or file")
    p.add_argument(
        "ratings", metavar="RATINGS", help="ratings file (CSV long or wide, JSONL, .xlsx)"
    )
    _max_problems_option(p)


def _period_option(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--period",
        choices=["month", "term", "year"],
        help="roll dated occasions up into months, school terms or school years first",
    )


def _occasions_option(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--occasions",
        metavar="A,B,...",
        help="time order of the occasions (default: dates and year-term labels sorted in time, "
        "else the order they first appear, with a warning)",
    )


def _parser() -> argparse.ArgumentParser:
    from icmaps._version import __version__

    p = _Parser(
        prog="icmaps",
        description="Innovation Configuration maps: validate, rate, aggregate, compare and report.",
    )
    p.add_argument("--version", action="version", version=f"icmaps {__version__}")
    sub = p.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)

    v = sub.add_parser("validate", help="check map files (or, with --ratings, a ratings file)")
    v.add_argument("paths", nargs="*", metavar="FILE|DIR", help="map files or folders")
    v.add_argument("--format", choices=["text", "json"], default="text")
    v.add_argument("--strict", action="store_true", help="treat warnings as errors")
    v.add_argument("--ratings", metavar="RATINGS", help="a ratings file to check (needs --map)")
    v.add_argument("--map", dest="map", metavar="MAP", help="map file or bundled id for --ratings")
    _case_arguments(v)
    _max_problems_option(v)
    v.set_defaults(handler=_cmd_validate)

    t = sub.add_parser("template", help="write a blank rating sheet (or --legend) for a map")
    t.add_argument("map", metavar="MAP", help="bundled map id or file")
    t.add_argument("--role", help="only the components for this role")
    t.add_argument("--subjects", help="comma-separated subject ids, one block of rows each")
    t.add_argument("--occasion", help="occasion to fill in, e.g. 2026-spring")
    t.add_argument("--rater", help="rater id to fill in")
    t.add_argument("--wide", action="store_true", help="one column per component")
    t.add_argument("--legend", action="store_true", help="print what each code means instead")
    t.add_argument(
        "-o",
        "--output",
        help="write to this file (atomically) instead of stdout: .csv, or .xlsx for an Excel "
        "workbook with a dropdown of codes, the variation texts and a legend",
    )
    t.set_defaults(handler=_cmd_template)

    fm = sub.add_parser(
        "form", help="write an offline HTML rating form (autosaves; exports CSV and JSONL)"
    )
    fm.add_argument("map", metavar="MAP", help="bundled map id or file")
    fm.add_argument("--role", help="only the components for this role (exported as role)")
    fm.add_argument("--title", help="page title (default: from the map)")
    fm.add_argument(
        "-o", "--output", help="write to this .html file (atomically) instead of stdout"
    )
    fm.set_defaults(handler=_cmd_form)

    eg = sub.add_parser("export-grid", help="write a map as a spreadsheet grid (.xlsx or .csv)")
    eg.add_argument("map", metavar="MAP", help="bundled map id or file")
    eg.add_argument(
        "-o", "--output", help="write to this .xlsx or .csv file instead of stdout (CSV)"
    )
    eg.set_defaults(handler=_cmd_export_grid)

    ig = sub.add_parser(
        "import-grid", help="read a map drafted in a spreadsheet grid (.xlsx or .csv) into YAML"
    )
    ig.add_argument("grid", metavar="GRID", help="the grid: .xlsx or .csv")
    ig.add_argument("-o", "--output", help="write the map to this .yaml or .json file")
    _max_problems_option(ig)
    ig.set_defaults(handler=_cmd_import_grid)

    rp = sub.add_parser("report", help="an HTML or Markdown implementation report")
    _map_and_sources(rp)
    rp.add_argument("-o", "--output", help="write to this file (atomically) instead of stdout")
    rp.add_argument("--role", help="only the components (and ratings) for this role")
    rp.add_argument("--by", metavar="ATTR", help="split figures by a subject attribute")
    rp.add_argument("--occasion", help="occasion of the snapshot (default: the last one)")
    rp.add_argument(
        "--subject",
        help="write this subject's IC profile instead: where it is on each component, the "
        "next step up, evidence and the change since its previous occasion",
    )
    rp.add_argument(
        "--source",
        help="only the ratings from this source (self, observer ...; needs a source column)",
    )
    rp.add_argument(
        "--each-subject",
        action="store_true",
        help="write one profile page per subject, and an index page, into the folder -o",
    )
    rp.add_argument(
        "--base", help="occasion growth is measured from (default: the one before the snapshot)"
    )
    _occasions_option(rp)
    rp.add_argument("--title", help="report title (default: from the map)")
    rp.add_argument(
        "--anchor",
        metavar="RATER|FILE",
        help="add a rater calibration section: each rater against this rater or anchor file",
    )
    _period_option(rp)
    rp.add_argument(
        "--format",
        choices=["html", "markdown", "json"],
        help="output format (default: markdown for -o *.md, json for -o *.json, else html)",
    )
    rp.add_argument(
        "--allow-problems",
        action="store_true",
        help="write the report even when some rows are invalid (they are listed in it)",
    )
    _privacy_options(rp)
    _min_n_option(rp)
    rp.set_defaults(handler=_cmd_report)

    rules = list(_COMBINE)
    su = sub.add_parser("summarize", help="distributions, %% ideal and scores per component")
    _map_and_sources(su)
    su.add_argument(
        "--by",
        nargs="+",
        action="extend",
        metavar="ATTR",
        help="group by columns: occasion, rater, role, subject or an attribute",
    )
    su.add_argument("--role", help="only the components (and ratings) for this role")
    su.add_argument(
        "--consensus",
        choices=rules,
        help="first combine raters into one rating per subject with this rule",
    )
    _table_format_options(su)
    _privacy_options(su)
    _min_n_option(su)
    su.set_defaults(handler=_cmd_summarize)

    fi = sub.add_parser("fidelity", help="fidelity index and classification per subject")
    _map_and_sources(fi)
    fi.add_argument(
        "--threshold", type=float, help="index needed (default: the map's fidelity rule, else 0.8)"
    )
    fi.add_argument(
        "--basis",
        choices=["zone", "score"],
        help="zone: share ideal or acceptable; score: share of the score range",
    )
    fi.add_argument(
        "--by",
        nargs="+",
        action="extend",
        metavar="ATTR",
        help="total per these columns (default: occasion)",
    )
    fi.add_argument(
        "--rule",
        action="append",
        metavar="RULE",
        help="show this fidelity rule of the map (e.g. tier-2; repeatable; default: all). "
        "modal, median or conservative name how raters are combined, as --combine does",
    )
    fi.add_argument(
        "--combine",
        choices=rules,
        help="how several raters of a subject are combined (default: median)",
    )
    fi.add_argument(
        "--occasions",
        metavar="A,B,...",
        help="time order of the occasions, for rules met on consecutive occasions",
    )
    _period_option(fi)
    fi.add_argument("--role", help="only the components (and ratings) for this role")
    fi.add_argument("--no-weights", action="store_true", help="weigh every component 1")
    fi.add_argument(
        "--no-critical",
        action="store_true",
        help="do not let a failed critical component fail the subject",
    )
    _table_format_options(fi)
    _privacy_options(fi)
    fi.set_defaults(handler=_cmd_fidelity)

    pl = sub.add_parser("plan", help="an action plan: one subject's components below target")
    _map_and_ratings(pl)
    pl.add_argument("--subject", required=True, help="the subject (school, teacher, team ...)")
    pl.add_argument(
        "--target",
        default="ideal",
        help="ideal, acceptable or a level code every listed component should reach",
    )
    pl.add_argument("--occasion", help="occasion to plan from (default: the subject's last)")
    _occasions_option(pl)
    pl.add_argument(
        "--rule", choices=rules, default="median", help="how several raters are combined"
    )
    pl.add_argument(
        "--source",
        help="only the ratings from this source (self, observer ...; needs a source column)",
    )
    pl.add_argument("--role", help="only the components (and ratings) for this role")
    pl.add_argument(
        "--format",
        choices=["text", "csv", "json", "markdown", "html"],
        help="output format (default: from the suffix of -o, else text); html prints on A4",
    )
    pl.add_argument("-o", "--output", help="write to this file (atomically) instead of stdout")
    _raw_csv_option(pl)
    _privacy_options(pl)
    pl.set_defaults(handler=_cmd_plan)

    cf = sub.add_parser("configurations", help="patterns of use: subjects clustered by profile")
    _map_and_ratings(cf)
    cf.add_argument("--distance", type=float, help="cut the tree at this distance (0-1)")
    cf.add_argument("--k", type=int, help="or cut it into this many configurations")
    cf.add_argument(
        "--rule", choices=rules, default="median", help="how several raters are combined"
    )
    cf.add_argument("--role", help="only the components (and ratings) for this role")
    _table_format_options(cf)
    _privacy_options(cf)
    cf.set_defaults(handler=_cmd_configurations)

    tr = sub.add_parser("trend", help="%% ideal on every occasion, per component and group")
    _map_and_ratings(tr)
    _occasions_option(tr)
    _period_option(tr)
    tr.add_argument("--role", help="only the components (and ratings) for this role")
    _table_format_options(tr)
    _privacy_options(tr)
    tr.set_defaults(handler=_cmd_trend)

    co = sub.add_parser("compare", help="growth between two occasions (or raters, ...)")
    _map_and_sources(co)
    co.add_argument(
        "--by",
        "--between",
        dest="by",
        default="occasion",
        metavar="ATTR",
        help="column whose values are compared (default: occasion); e.g. --between source "
        "--base self --other observer",
    )
    co.add_argument(
        "--base",
        help="value compared from (default: the first one; for occasions, in time order, or "
        "the one before --other)",
    )
    co.add_argument("--other", help="value compared to (default: the last one)")
    _period_option(co)
    _occasions_option(co)
    co.add_argument(
        "--rule",
        choices=rules,
        default="median",
        help="how several raters of a subject are combined",
    )
    co.add_argument("--role", help="only the components (and ratings) for this role")
    _table_format_options(co)
    _privacy_options(co)
    _min_n_option(co)
    co.set_defaults(handler=_cmd_compare)

    di = sub.add_parser("diff", help="what changed between two versions of a map")
    di.add_argument(
        "old",
        metavar="OLD",
        help="old map: bundled id, file, - (standard input) or <(git show REV:FILE)",
    )
    di.add_argument("new", metavar="NEW", help="new map: bundled id, file, - or <(...)")
    _table_format_options(di)
    di.add_argument(
        "--exit-code",
        action="store_true",
        help="exit 1 when the maps differ and 2 when a component or level was removed "
        "(breaking: ratings of the old map lose their place), 0 when they are the same, "
        "3 when a map cannot be read",
    )
    di.add_argument(
        "--width",
        type=_width,
        help="wrap text to this many columns (default: the terminal's width; none in a pipe)",
    )
    di.set_defaults(handler=_cmd_diff)

    ag = sub.add_parser("agreement", help="inter-rater agreement of a ratings file")
    _map_and_sources(ag)
    ag.add_argument(
        "--method",
        choices=[
            "krippendorff",
            "fleiss",
            "cohen",
            "percent",
            "gwet",
            "brennan-prediger",
            "conger",
            "icc",
        ],
        default="krippendorff",
    )
    ag.add_argument(
        "--icc",
        choices=["ICC1", "ICC2", "ICC3", "ICC1k", "ICC2k", "ICC3k"],
        help="ICC form (default ICC2; ICC1 when raters differ from unit to unit)",
    )
    ag.add_argument(
        "--percent",
        choices=["pairs", "units", "unanimous"],
        help="percent agreement over pooled pairs (default), per unit, or unanimous units",
    )
    ag.add_argument(
        "--level",
        choices=["ordinal", "nominal", "interval", "ratio"],
        help="Krippendorff's level of measurement (default: ordinal)",
    )
    ag.add_argument(
        "--weights",
        choices=["linear", "quadratic"],
        help="weights over the level order (cohen, gwet: AC2, brennan-prediger, conger)",
    )
    ag.add_argument("--raters", metavar="A,B", help="only these raters (Cohen: exactly two)")
    ag.add_argument(
        "--by", metavar="component|group|KIND", help="one row per component, group or group kind"
    )
    ag.add_argument(
        "--tolerance", type=int, default=0, help="percent: levels apart that still agree"
    )
    ag.add_argument("--bootstrap", type=int, default=0, metavar="N", help="bootstrap resamples")
    ag.add_argument("--seed", type=int, help="random seed for --bootstrap")
    ag.add_argument(
        "--disagreements", action="store_true", help="also list the units where raters split"
    )
    ag.add_argument(
        "--min-levels", type=int, default=1, metavar="N", help="smallest split listed (default 1)"
    )
    ag.add_argument("--format", choices=["text", "json"], default="text")
    ag.set_defaults(handler=_cmd_agreement)

    ca = sub.add_parser("calibrate", help="each rater's agreement with anchor ratings")
    _map_and_ratings(ca)
    ca.add_argument(
        "--anchor",
        required=True,
        metavar="RATER|FILE",
        help="the anchor: a rater id in RATINGS, or a ratings file of master-coded ratings",
    )
    ca.add_argument(
        "--threshold",
        type=float,
        default=0.8,
        help="share of ratings within --within levels of the anchor needed to pass (0.8)",
    )
    ca.add_argument(
        "--within",
        type=int,
        default=1,
        metavar="N",
        help="levels apart that still count toward the threshold (default 1: adjacent; 0: exact)",
    )
    ca.add_argument(
        "--by-component", action="store_true", help="text: also a table per rater and component"
    )
    ca.add_argument("--format", choices=["text", "json", "csv"], default="text")
    _privacy_options(ca)
    ca.set_defaults(handler=_cmd_calibrate)

    s = sub.add_parser("schema", help="print the JSON Schema of map files")
    s.add_argument(
        "--generate",
        action="store_true",
        help="build it from the models instead of the shipped file",
    )
    s.set_defaults(handler=_cmd_schema)

    mp = sub.add_parser("maps", help="the bundled maps")
    msub = mp.add_subparsers(dest="maps_command", metavar="ACTION", parser_class=_Parser)
    ml = msub.add_parser("list", help="list bundled maps")
    ml.add_argument("--format", choices=["text", "json"], default="text")
    ml.set_defaults(handler=_cmd_maps_list)
    ms = msub.add_parser("show", help="show a map as a text IC grid")
    ms.add_argument("map", metavar="MAP", help="bundled map id or file")
    ms.add_argument("--role", help="only the components for this role")
    ms.add_argument("--format", choices=["text", "json", "yaml"], default="text")
    ms.add_argument(
        "--width",
        type=_width,
        help="line width of the grid, 40-1000 (default: the terminal's width, else 120)",
    )
    _case_arguments(ms)
    ms.set_defaults(handler=_cmd_maps_show)

    ex = sub.add_parser("export", help="write a map as a 1EdTech CASE 1.1 package (or YAML/JSON)")
    ex.add_argument("map", metavar="MAP", help="bundled map id or file (a map or CASE package)")
    ex.add_argument(
        "--format",
        choices=["case", "yaml", "json"],
        help="case: a CASE 1.1 CFPackage with a rubric; yaml, json: an icmaps map file "
        "(default: yaml for -o *.yaml or *.yml, else case)",
    )
    ex.add_argument("-o", "--output", help="write to this file (atomically) instead of stdout")
    _case_arguments(ex)
    ex.set_defaults(handler=_cmd_export)
    return p


def run(
    argv: Sequence[str] | None = None, *, out: TextIO | None = None, err: TextIO | None = None
) -> int:
    """Run the command line; returns the exit code. Never raises for bad input or usage.

    >>> run(["maps", "list", "--format", "json"], out=__import__("io").StringIO())
    0
    """
    out = out or sys.stdout
    err = err or sys.stderr
    args: argparse.Namespace | None = None
    try:
        args = _parser().parse_args(argv)
        handler: Handler | None = getattr(args, "handler", None)
        if handler is None:
            _parser().print_help(err)
            return EXIT_USAGE
        _check_outputs(args)
        return handler(args, out, err)
    except UsageError as e:
        err.write(f"error: {e}\n")
        return EXIT_USAGE
    except NotFoundError as e:
        err.write(f"error: {e}\n")
        return EXIT_USAGE
    except (RatingsError, LoadError, MapValidationError) as e:
        err.write(_problems_text(e.problems, _limit(args)))  # one line per distinct problem
        return EXIT_INVALID
    except IcmapsError as e:
        err.write(f"{e}\n")
        return EXIT_INVALID
    except SystemExit as e:  # --help / --version
        return int(e.code or 0) if not isinstance(e.code, str) else EXIT_USAGE
    except BrokenPipeError:
        return EXIT_OK
    except OSError as e:
        err.write(f"error: {e.filename or ''}: {e.strerror}\n")
        return EXIT_USAGE


_OUTPUTS = ("output", "pseudonym_map")
"""Options that name files the command writes."""


def _check_outputs(args: argparse.Namespace) -> None:
    """Refuse, before any work, an output that is one of the command's input files (under
    any name) or that is not a regular file (a FIFO or device): see :mod:`icmaps._io`."""
    from icmaps._io import check_output

    inputs: list[str] = []
    for name, value in vars(args).items():
        if name in _OUTPUTS:
            continue
        for v in value if isinstance(value, list) else [value]:
            if isinstance(v, str) and v not in ("-", "") and os.path.isfile(v):
                inputs.append(v)
    for name in _OUTPUTS:
        target = getattr(args, name, None)
        if isinstance(target, str) and target not in ("-", "") and not os.path.isdir(target):
            check_output(target, inputs)


def main() -> int:
    """Console-script entry point."""
    import signal

    # a kill (SIGTERM) unwinds like Ctrl-C, so a half-written temporary file is removed
    with contextlib.suppress(ValueError):  # not the main thread: leave signals alone
        signal.signal(signal.SIGTERM, lambda *_: sys.exit(128 + signal.SIGTERM))
    return run()
