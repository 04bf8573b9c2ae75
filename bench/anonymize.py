"""Anonymization: globally optimal full-domain generalization of Adult and FARS, checked
independently and timed next to `anjana` on the same configurations in the same process.

    python bench/anonymize.py            # 16 Adult configurations + 4 FARS, anjana beside
    python bench/anonymize.py --quick    # Adult k = 2, 5 at 0 % suppression, under a minute
    python bench/anonymize.py --json     # also one JSON object, last line of stdout

Adult (`/work/shared/data/adult`, 30,162 records): quasi-identifiers age, sex, race,
marital-status, education, native-country, workclass, occupation with ARX's hierarchies
(6,480 transformations); k = 2, 5, 10, 100 at 0 % and 5 % suppression, each also with distinct
2-diversity of salary-class. FARS (`/work/shared/data/fars`, 100,937 records): all 8 columns,
the ARX authors' hierarchies (20,736 transformations), k = 2, 5 at 0 % and 5 %. The FARS age
hierarchy lists leaf 99 twice (identical rows, and no 98); duplicate identical rows are
dropped when the files are read here, as ARX tolerates them.

For each configuration: Tutela's run time warm (hierarchies loaded, one run before the
timed ones; the median of the timed runs), its transformation, suppressed records, ARX's Loss,
discernibility, C_avg, height and peak memory during one warm run: the process's resident-set
high-water mark (`VmHWM`, reset through `/proc/self/clear_refs` first, so Polars' and NumPy's
native allocations count) and its rise above the resident set at the start. Every result is
verified by `Checker`, written here from the definitions alone (standard library only, no
Tutela code): the released rows are the input generalized at the reported levels with the
violating classes removed, the models hold, the suppression stays within its limit, and
every metric is recomputed.

anjana (pip `anjana`, a greedy generalization on pandas and pycanon) runs on the same
configuration once, timed the same way; its transformation is scored by the same checker so
the two Losses compare.

Targets: Loss equal to ARX's optimum at 0 % suppression (k-anonymity alone; ARX's figures
are printed as the reference and compared within 1e-4); every configuration under 1 s warm;
at least 10x faster than anjana (each configuration where anjana produced a result). The exit
status is 0 whether or not the targets are met; 1 if a result fails its check.
"""

from __future__ import annotations

import contextlib
import csv
import io
import math
import statistics
import sys
import time
from collections import Counter, defaultdict
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import polars as pl
from rich.console import Console
from rich.table import Table

from _common import bench_parser, emit_json, make_console, run_facts, status_markup
from tutela.anonymize import Hierarchy, Result, anonymize

DATA = Path("/work/shared/data")
ADULT_QI = (
    "age",
    "sex",
    "race",
    "marital-status",
    "education",
    "native-country",
    "workclass",
    "occupation",
)
# ARX 3.9's optimum (Loss, k-anonymity only, 0 % suppression) on Adult with these QIs.
ARX_LOSS = {2: 0.5266, 5: 0.5916, 10: 0.5916, 100: 0.6648}
LOSS_TOLERANCE = 1e-4
TARGET_SECONDS = 1.0
TARGET_SPEEDUP = 10.0


@dataclass(frozen=True)
class Dataset:
    name: str
    csv: Path
    hierarchy: Callable[[str], Path]
    quasi: tuple[str, ...]
    sensitive: str | None = None


@dataclass(frozen=True)
class Config:
    dataset: str
    k: int
    suppression: float
    l: int | None = None  # noqa: E741 - the model's own name

    @property
    def label(self) -> str:
        model = f"k{self.k}" + (f" l{self.l}" if self.l else "")
        return f"{self.dataset} {model} {self.suppression:.0%}"


def datasets() -> dict[str, Dataset]:
    adult, fars = DATA / "adult", DATA / "fars"
    return {
        "adult": Dataset(
            "adult",
            adult / "adult.csv",
            lambda q: adult / f"adult_hierarchy_{q}.csv",
            ADULT_QI,
            "salary-class",
        ),
        "fars": Dataset(
            "fars",
            fars / "fars_int.csv",
            lambda q: fars / f"fars_int_hierarchy_{q}.csv",
            (
                "iage",
                "irace",
                "ideathmon",
                "ideathday",
                "isex",
                "ihispanic",
                "istatenum",
                "iinjury",
            ),
        ),
    }


def configs(quick: bool) -> list[Config]:
    if quick:
        return [Config("adult", k, 0.0) for k in (2, 5)]
    adult = [
        Config("adult", k, s, l)
        for l in (None, 2)  # noqa: E741
        for k in (2, 5, 10, 100)
        for s in (0.0, 0.05)
    ]
    return adult + [Config("fars", k, s) for k in (2, 5) for s in (0.0, 0.05)]


# -- reading (standard library; shared by Tutela, anjana and the checker) ------------------


def read_rows(path: Path) -> list[list[str]]:
    """A `;`-separated file's rows, identical duplicate rows dropped (see the module doc)."""
    seen: set[tuple[str, ...]] = set()
    rows: list[list[str]] = []
    with path.open(encoding="utf-8", newline="") as handle:
        for row in csv.reader(handle, delimiter=";"):
            if row and tuple(row) not in seen:
                seen.add(tuple(row))
                rows.append(row)
    return rows


def read_records(path: Path) -> tuple[list[str], list[list[str]]]:
    with path.open(encoding="utf-8", newline="") as handle:
        reader = csv.reader(handle, delimiter=";")
        header = next(reader)
        return header, [row for row in reader if row]


# -- the independent checker ---------------------------------------------------------------


@dataclass(frozen=True)
class Verdict:
    ok: bool
    problems: tuple[str, ...]
    suppressed: int
    loss: float
    discernibility: int
    classes: int
    c_avg: float
    height: int


class Checker:
    """Scores a full-domain transformation from first principles.

    ARX's Loss: per quasi-identifier a with |dom_a| hierarchy leaves, S_a = sum over released
    records of (leaves under the generalized value) / |dom_a|, plus 1 per suppressed record;
    x_a = (S_a - n/|dom_a|) / (n - n/|dom_a|); Loss = prod(1 + x_a)^(1/m) - 1. Discernibility:
    sum over released classes of |E|^2, plus n per suppressed record. C_avg: released records
    / classes / k. A class is suppressed when it has fewer than k records or fewer than l
    distinct sensitive values.
    """

    def __init__(
        self,
        header: Sequence[str],
        records: Sequence[Sequence[str]],
        quasi: Sequence[str],
        hierarchies: Mapping[str, list[list[str]]],
        sensitive: str | None,
    ) -> None:
        self.quasi = tuple(quasi)
        index = {name: i for i, name in enumerate(header)}
        self.columns = [[r[index[q]] for r in records] for q in quasi]
        self.sensitive = [r[index[sensitive]] for r in records] if sensitive else None
        self.n = len(records)
        self.rows = [{row[0]: row for row in hierarchies[q]} for q in quasi]
        self.domain = [len(hierarchies[q]) for q in quasi]
        self.under: list[list[Counter[str]]] = []
        for q in quasi:
            table = hierarchies[q]
            self.under.append([Counter(row[j] for row in table) for j in range(len(table[0]))])

    def generalized(self, levels: Sequence[int]) -> list[tuple[str, ...]]:
        cols = [
            [self.rows[a][v][levels[a]] for v in column] for a, column in enumerate(self.columns)
        ]
        return list(zip(*cols, strict=True))

    def verify(
        self, config: Config, levels: Sequence[int], released: Sequence[tuple[str, ...]] | None
    ) -> Verdict:
        """Check a result; `released` is the tool's released rows in input order (None: only
        score the transformation, as for anjana)."""
        keys = self.generalized(levels)
        sizes = Counter(keys)
        bad = {key for key, size in sizes.items() if size < config.k}
        if config.l and self.sensitive is not None:
            values: defaultdict[tuple[str, ...], set[str]] = defaultdict(set)
            for key, value in zip(keys, self.sensitive, strict=True):
                values[key].add(value)
            bad |= {key for key, seen in values.items() if len(seen) < config.l}
        keep = [key not in bad for key in keys]
        suppressed = self.n - sum(keep)
        problems = []
        if suppressed > config.suppression * self.n + 1e-9:
            problems.append(f"{suppressed} suppressed, over the limit")
        expected = [key for key, kept in zip(keys, keep, strict=True) if kept]
        if released is not None and list(released) != expected:
            problems.append("released rows differ from the generalized input")
        m = len(self.quasi)
        product = 1.0
        for a in range(m):
            under = self.under[a][levels[a]]
            total = sum(under[key[a]] for key in expected) / self.domain[a] + suppressed
            floor = self.n / self.domain[a]
            x = (total - floor) / (self.n - floor) if self.n > floor else 0.0
            product *= 1 + x
        loss = product ** (1 / m) - 1
        released_sizes = [size for key, size in sizes.items() if key not in bad]
        classes = len(released_sizes)
        disc = sum(s * s for s in released_sizes) + suppressed * self.n
        c_avg = (self.n - suppressed) / classes / config.k if classes else 0.0
        return Verdict(
            not problems, tuple(problems), suppressed, loss, disc, classes, c_avg, sum(levels)
        )


def compare(result: Result, verdict: Verdict) -> list[str]:
    """Where Tutela's own metrics disagree with the checker's."""
    m = result.metrics
    problems = list(verdict.problems)
    pairs: list[tuple[str, float, float]] = [
        ("suppressed", m.suppressed, verdict.suppressed),
        ("loss", m.loss, verdict.loss),
        ("discernibility", m.discernibility, verdict.discernibility),
        ("classes", m.classes, verdict.classes),
        ("c_avg", m.c_avg, verdict.c_avg),
        ("height", m.height or 0, verdict.height),
    ]
    for name, ours, theirs in pairs:
        if not math.isclose(ours, theirs, rel_tol=1e-9, abs_tol=1e-9):
            problems.append(f"{name} {ours} != {theirs}")
    return problems


# -- measuring -----------------------------------------------------------------------------


def _status_kb(field_name: str) -> int | None:
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith(field_name + ":"):
                return int(line.split()[1])
    except OSError:
        return None
    return None


@contextlib.contextmanager
def peak_rss() -> Iterator[dict[str, float | None]]:
    """The resident set's high-water mark over the block (`rss_mb`) and its rise above the
    resident set at the start (`mb`), in MB; None if the kernel does not let it be reset."""
    out: dict[str, float | None] = {"mb": None, "rss_mb": None}
    try:
        Path("/proc/self/clear_refs").write_text("5")
        base = _status_kb("VmRSS")
    except OSError:
        base = None
    yield out
    peak = _status_kb("VmHWM")
    if base is not None and peak is not None:
        out["mb"] = max(peak - base, 0) / 1024
        out["rss_mb"] = peak / 1024


@dataclass
class Row:
    config: Config
    levels: dict[str, int] = field(default_factory=dict)
    seconds: float = math.nan
    runs: list[float] = field(default_factory=list)
    peak_mb: float | None = None
    peak_rss_mb: float | None = None
    result: dict[str, Any] = field(default_factory=dict)
    problems: list[str] = field(default_factory=list)
    anjana_seconds: float | None = None
    anjana: dict[str, Any] | None = None
    no_solution: str | None = None

    @property
    def speedup(self) -> float | None:
        if self.anjana_seconds is None or not self.seconds or math.isnan(self.seconds):
            return None
        return self.anjana_seconds / self.seconds

    @property
    def reference(self) -> float | None:
        if self.config.dataset == "adult" and self.config.suppression == 0 and not self.config.l:
            return ARX_LOSS.get(self.config.k)
        return None


def run_tutela(
    frame: pl.DataFrame,
    data: Dataset,
    hierarchies: Mapping[str, Hierarchy],
    config: Config,
    repeats: int,
) -> tuple[Result, list[float], dict[str, float | None]]:
    def once() -> Result:
        return anonymize(
            frame,
            quasi=data.quasi,
            hierarchies=hierarchies,
            k=config.k,
            l=config.l,
            sensitive=data.sensitive if config.l else None,
            suppression=config.suppression,
        )

    once()  # warm: hierarchy codes and Polars' thread pool
    with peak_rss() as memory:
        result = once()
    times = []
    for _ in range(repeats):
        started = time.perf_counter()
        once()
        times.append(time.perf_counter() - started)
    return result, times, memory


def run_anjana(
    frame: Any, data: Dataset, hierarchies: Mapping[str, list[list[str]]], config: Config
) -> tuple[float, list[int] | None]:
    """anjana's transformation of the same configuration and its run time (levels None when it
    returns no table)."""
    import pandas as pd
    from anjana.anonymity import k_anonymity, l_diversity, utils

    quasi = list(data.quasi)

    def fresh() -> dict[str, dict[int, Any]]:
        return {
            q: {j: pd.Series([row[j] for row in rows]) for j in range(len(rows[0]))}
            for q, rows in hierarchies.items()
        }

    tables = fresh()
    percent = config.suppression * 100
    started = time.perf_counter()
    with contextlib.redirect_stdout(io.StringIO()):  # anjana prints its progress
        if config.l:
            out = l_diversity(frame, [], quasi, data.sensitive, config.k, config.l, percent, tables)
        else:
            out = k_anonymity(frame, [], quasi, config.k, percent, tables)
    seconds = time.perf_counter() - started
    if out.empty:
        return seconds, None
    return seconds, [int(x) for x in utils.get_transformation(out, quasi, fresh())]


# -- the run ---------------------------------------------------------------------------------


def main(argv: Sequence[str] | None = None) -> int:
    parser = bench_parser(__doc__.splitlines()[0] if __doc__ else None, "Adult k=2,5 at 0 % only")
    parser.add_argument("--no-anjana", action="store_true", help="skip the anjana baseline")
    parser.add_argument("--repeats", type=int, default=None, help="timed runs per configuration")
    args = parser.parse_args(argv)
    out = make_console()
    log = Console(stderr=True, highlight=False)
    repeats = args.repeats or (3 if args.quick else 5)
    wanted = configs(args.quick)
    all_data = datasets()
    rows: list[Row] = []
    failed = False
    for name in dict.fromkeys(c.dataset for c in wanted):
        data = all_data[name]
        if not data.csv.is_file():
            log.print(f"[yellow]{data.csv} is missing: skipping {name}[/yellow]")
            continue
        frame = pl.read_csv(data.csv, separator=";", infer_schema=False)
        raw = {q: read_rows(data.hierarchy(q)) for q in data.quasi}
        hierarchies = {
            q: Hierarchy.from_rows(rows, source=data.hierarchy(q).name) for q, rows in raw.items()
        }
        header, records = read_records(data.csv)
        checker = Checker(header, records, data.quasi, raw, data.sensitive)
        pandas_frame = None
        if not args.no_anjana:
            import pandas as pd

            pandas_frame = pd.read_csv(data.csv, sep=";", dtype=str, keep_default_na=False)
        for config in (c for c in wanted if c.dataset == name):
            log.print(f"{config.label} …")
            row = Row(config)
            try:
                result, times, peak = run_tutela(frame, data, hierarchies, config, repeats)
            except Exception as exc:  # NoSolution and the like: reported, not fatal
                row.no_solution = f"{type(exc).__name__}: {exc}"
                rows.append(row)
                failed = True
                continue
            assert result.levels is not None
            row.levels = dict(result.levels)
            row.runs, row.seconds = times, statistics.median(times)
            row.peak_mb, row.peak_rss_mb = peak["mb"], peak["rss_mb"]
            levels = [row.levels[q] for q in data.quasi]
            released = list(result.table.select(data.quasi).iter_rows())
            verdict = checker.verify(config, levels, released)
            row.problems = compare(result, verdict)
            failed |= bool(row.problems)
            m = result.metrics
            row.result = {
                "suppressed": m.suppressed,
                "loss": m.loss,
                "discernibility": m.discernibility,
                "c_avg": m.c_avg,
                "height": m.height,
                "classes": m.classes,
                "evaluated": None if result.search is None else result.search.evaluated,
            }
            if pandas_frame is not None:
                seconds, theirs = run_anjana(pandas_frame, data, raw, config)
                row.anjana_seconds = seconds
                if theirs is None:
                    row.anjana = {"levels": None, "note": "no table returned"}
                else:
                    score = checker.verify(config, theirs, None)
                    row.anjana = {
                        "levels": dict(zip(data.quasi, theirs, strict=True)),
                        "loss": score.loss,
                        "suppressed": score.suppressed,
                        "valid": score.ok,
                    }
            rows.append(row)
    render(out, rows, repeats)
    if args.json:
        emit_json(payload(rows, args.quick, repeats))
    return 1 if failed else 0


def targets(rows: Sequence[Row]) -> dict[str, bool | None]:
    refs = [r for r in rows if r.reference is not None and r.result]
    timed = [r for r in rows if r.result]
    raced = [r for r in rows if r.speedup is not None]
    return {
        "loss_equals_arx": (
            all(abs(r.result["loss"] - (r.reference or 0)) <= LOSS_TOLERANCE for r in refs)
            if refs
            else None
        ),
        "under_1s_warm": all(r.seconds < TARGET_SECONDS for r in timed) if timed else None,
        "10x_faster_than_anjana": (
            all((r.speedup or 0) >= TARGET_SPEEDUP for r in raced) if raced else None
        ),
        "verified": all(not r.problems and r.no_solution is None for r in rows) if rows else None,
    }


def render(out: Console, rows: Sequence[Row], repeats: int) -> None:
    table = Table(
        title=f"Optimal anonymization (median of {repeats} warm runs) vs anjana",
        title_justify="left",
    )
    for name, justify in [
        ("Configuration", "left"),
        ("Levels", "left"),
        ("Supp.", "right"),
        ("Loss", "right"),
        ("ARX", "right"),
        ("Discern.", "right"),
        ("C_avg", "right"),
        ("H", "right"),
        ("Warm", "right"),
        ("Peak +/RSS", "right"),
        ("anjana", "right"),
        ("anjana Loss", "right"),
        ("Speed-up", "right"),
        ("Check", "left"),
    ]:
        table.add_column(name, justify=justify)  # type: ignore[arg-type]
    for r in rows:
        if r.no_solution:
            table.add_row(r.config.label, *["-"] * 12, f"[red]{r.no_solution}[/red]")
            continue
        ref = r.reference
        loss = r.result["loss"]
        loss_text = f"{loss:.4f}"
        if ref is not None:
            loss_text = status_markup(abs(loss - ref) <= LOSS_TOLERANCE, "") + f" {loss:.4f}"
        anj = r.anjana or {}
        table.add_row(
            r.config.label,
            ",".join(str(v) for v in r.levels.values()),
            f"{r.result['suppressed']:,}",
            loss_text,
            "-" if ref is None else f"{ref:.4f}",
            f"{r.result['discernibility']:,}",
            f"{r.result['c_avg']:.2f}",
            str(r.result["height"]),
            _time(r.seconds, r.seconds < TARGET_SECONDS),
            "-" if r.peak_mb is None else f"+{r.peak_mb:,.0f}/{r.peak_rss_mb:,.0f} MB",
            "-" if r.anjana_seconds is None else f"{r.anjana_seconds:,.2f} s",
            "-" if "loss" not in anj else f"{anj['loss']:.4f}" + ("" if anj["valid"] else " ✗"),
            "-"
            if r.speedup is None
            else f"{r.speedup:,.0f}x " + status_markup(r.speedup >= TARGET_SPEEDUP, ""),
            "[green]verified[/green]"
            if not r.problems
            else "[bold red]" + "; ".join(r.problems) + "[/bold red]",
        )
    out.print(table)
    labels = {
        "loss_equals_arx": f"Loss = ARX's optimum at 0 % (±{LOSS_TOLERANCE:g})",
        "under_1s_warm": f"every configuration under {TARGET_SECONDS:g} s warm",
        "10x_faster_than_anjana": f"at least {TARGET_SPEEDUP:g}x faster than anjana",
        "verified": "every result verified by the independent checker",
    }
    for key, passed in targets(rows).items():
        verdict = "[dim]n/a[/dim]" if passed is None else ("PASS" if passed else "MISS")
        colour = "green" if passed else "bold red"
        out.print(
            f"{labels[key]}: " + (verdict if passed is None else f"[{colour}]{verdict}[/{colour}]")
        )


def _time(seconds: float, ok: bool) -> str:
    text = f"{seconds * 1000:,.0f} ms"
    return text if ok else f"[bold red]{text}[/bold red]"


def payload(rows: Sequence[Row], quick: bool, repeats: int) -> dict[str, Any]:
    return {
        **run_facts("anonymize", quick),
        "polars": pl.__version__,
        "repeats": repeats,
        "arx_reference_loss": ARX_LOSS,
        "configurations": [
            {
                "dataset": r.config.dataset,
                "k": r.config.k,
                "l": r.config.l,
                "suppression": r.config.suppression,
                "no_solution": r.no_solution,
                "levels": r.levels,
                "seconds_warm": None if math.isnan(r.seconds) else round(r.seconds, 4),
                "runs": [round(t, 4) for t in r.runs],
                "peak_mb": None if r.peak_mb is None else round(r.peak_mb, 1),
                "peak_rss_mb": None if r.peak_rss_mb is None else round(r.peak_rss_mb, 1),
                **r.result,
                "arx_loss": r.reference,
                "verified": not r.problems and r.no_solution is None,
                "problems": r.problems,
                "anjana_seconds": (
                    None if r.anjana_seconds is None else round(r.anjana_seconds, 3)
                ),
                "anjana": r.anjana,
                "speedup": None if r.speedup is None else round(r.speedup, 1),
            }
            for r in rows
        ],
        "targets": targets(rows),
    }


if __name__ == "__main__":
    sys.exit(main())
