"""PII detection quality: Tutela's analyzer and Presidio's pattern recognizers on the same
labelled set, in the same run — precision, recall and F1 per entity, the share of hard
negatives flagged, and throughput.

    python bench/deid_quality.py             # 2,000 texts (seed 7)
    python bench/deid_quality.py --quick     # 300 texts, under a minute
    python bench/deid_quality.py --json      # all figures as one JSON object, last line
    python bench/deid_quality.py --write-jsonl set.jsonl   # also save the set (for `tutela scan`)

The set comes from `tutela.deid.evaluation` (seeded Faker texts in seven locales and six
message styles, exact spans recorded as the text is built, hard negatives listed apart).

Matching: a prediction counts only with the same entity type as the label. "Exact" needs the
same start and end; "overlap" counts a label found if any prediction of its type overlaps it
(recall) and a prediction right if it overlaps any label of its type (precision). A hard
negative is flagged when any prediction of an evaluated type overlaps it. The F1 targets are
judged on exact spans: a redaction that stops short of a value leaks the rest of it.

Presidio: `presidio-analyzer` with its predefined pattern recognizers for English plus its
UK_NINO, DE_TAX_ID, ES_NIF/ES_NIE and IT_FISCAL_CODE recognizers (off for English by default),
on a blank spaCy English pipeline (no model download; a one-line component copies each token's
lower-case form into its lemma so Presidio's context words still work). There is no NER model,
so its spaCy recognizer is left out: this is Presidio patterns-only, and PERSON, LOCATION and
STREET_ADDRESS show as not covered. Presidio's own default threshold (0) is used; its findings
are then de-overlapped the way Tutela's analyzer does it (higher score, then longer span), so
both tools give at most one label per character. Presidio analyses every text as English.

Throughput is one process on one core: `analyze(text)` called per text, after a warm-up,
timed in CPU seconds of the process (`time.process_time`), so the rest of a busy machine's
load counts for neither tool; wall seconds are printed beside.
The exit status is 0 whether or not targets are met; 2 if Presidio is not installed.
"""

from __future__ import annotations

import argparse
import importlib.metadata
import logging
import os
import platform
import sys
import time
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from rich.console import Console
from rich.table import Table

from _common import bench_parser, emit_json, make_console, run_facts
from tutela.deid import Analyzer
from tutela.deid.evaluation import ENTITIES, NEGATIVE_KINDS, Sample, generate, write_jsonl

FULL_SIZE = 2_000
QUICK_SIZE = 300
SEED = 7
WARM_UP = 20

STRUCTURED_TARGET = 0.97
STRUCTURED = ("EMAIL_ADDRESS", "CREDIT_CARD", "IBAN_CODE", "IP_ADDRESS", "US_SSN", "PHONE_NUMBER")
FREE_TEXT_TARGET = 0.85
FREE_TEXT = ("PERSON", "STREET_ADDRESS")
NEGATIVES_TARGET = 0.05  # share of hard negatives flagged must stay below
SPEEDUP_TARGET = 10.0  # Tutela texts/s over Presidio's
TIE = 0.995  # both tools at or above this F1 count as "not worse" rather than "not higher"

# Presidio's names for the types it shares with the set (ES_NIE is a NIF for foreigners).
PRESIDIO_TYPES = {e: e for e in ENTITIES} | {"ES_NIE": "ES_NIF"}
PRESIDIO_EXTRA = (
    "UkNinoRecognizer",
    "DeTaxIdRecognizer",
    "EsNifRecognizer",
    "EsNieRecognizer",
    "ItFiscalCodeRecognizer",
)

Found = tuple[str, int, int, float]  # entity type, start, end, score
Analyze = Callable[[str], list[Found]]


# -- the two tools -------------------------------------------------------------------------


def tutela_analyzer() -> tuple[Analyze, set[str]]:
    analyzer = Analyzer()

    def analyze(text: str) -> list[Found]:
        return [(f.entity_type, f.start, f.end, f.score) for f in analyzer.analyze(text)]

    return analyze, set(analyzer.supported)


class PresidioMissingError(RuntimeError):
    """presidio-analyzer or spaCy is not installed."""


def presidio_analyzer() -> tuple[Analyze, set[str]]:
    """Presidio's pattern recognizers on a blank spaCy pipeline, offline.

    Raises:
        PresidioMissingError: the bench extras are not installed.
    """
    try:
        import spacy
        import tldextract
        from presidio_analyzer import AnalyzerEngine, RecognizerRegistry
        from presidio_analyzer import predefined_recognizers as predefined
        from presidio_analyzer.nlp_engine import SpacyNlpEngine
        from spacy.language import Language
        from spacy.tokens import Doc
        from tldextract import tldextract as tld_module
    except ImportError as exc:
        raise PresidioMissingError(str(exc)) from None

    logging.getLogger("presidio-analyzer").setLevel(logging.ERROR)
    # Presidio's email recognizer calls tldextract, whose default extractor fetches the public
    # suffix list over the network on first use; use the snapshot shipped with it instead.
    tld_module.TLD_EXTRACTOR = tldextract.TLDExtract(suffix_list_urls=(), cache_dir=None)

    if not Language.has_factory("lowercase_lemma"):

        @Language.component("lowercase_lemma")
        def lowercase_lemma(doc: Doc) -> Doc:
            for token in doc:
                token.lemma_ = token.lower_
            return doc

    class BlankSpacyEngine(SpacyNlpEngine):
        """spaCy's blank English tokenizer: never looks for, or downloads, a model."""

        def load(self) -> None:
            nlp = spacy.blank("en")
            nlp.add_pipe("lowercase_lemma")
            self.nlp = {"en": nlp}  # type: ignore[assignment]  # Presidio types it as None

    engine = BlankSpacyEngine(models=[{"lang_code": "en", "model_name": "blank:en"}])
    engine.load()
    registry = RecognizerRegistry(supported_languages=["en"])
    registry.load_predefined_recognizers(languages=["en"], nlp_engine=engine)
    registry.remove_recognizer("SpacyRecognizer")
    for name in PRESIDIO_EXTRA:
        registry.add_recognizer(getattr(predefined, name)(supported_language="en"))
    presidio = AnalyzerEngine(nlp_engine=engine, registry=registry, supported_languages=["en"])
    covered = {
        PRESIDIO_TYPES[e] for e in presidio.get_supported_entities("en") if e in PRESIDIO_TYPES
    }

    def analyze(text: str) -> list[Found]:
        results = presidio.analyze(text=text, language="en")
        return [(r.entity_type, r.start, r.end, r.score) for r in results]

    return analyze, covered


def resolve_overlaps(found: Sequence[Found]) -> list[Found]:
    """Tutela's rule: of overlapping findings the higher score, then the longer, wins."""
    kept: list[Found] = []
    for f in sorted(found, key=lambda f: (-f[3], -(f[2] - f[1]), f[1])):
        if all(f[2] <= k[1] or f[1] >= k[2] for k in kept):
            kept.append(f)
    return sorted(kept, key=lambda f: f[1])


# -- running and scoring -------------------------------------------------------------------


@dataclass(frozen=True)
class Run:
    """One tool's findings on every text (evaluated types only) and how long they took."""

    name: str
    covered: set[str]
    found: list[list[tuple[str, int, int]]]
    seconds: float  # CPU seconds of this process: the machine's other load does not count
    texts: int
    megabytes: float
    wall_seconds: float = 0.0

    @property
    def texts_per_s(self) -> float:
        return self.texts / self.seconds

    @property
    def mb_per_s(self) -> float:
        return self.megabytes / self.seconds


def run(
    name: str, analyze: Analyze, covered: set[str], samples: Sequence[Sample], *, presidio: bool
) -> Run:
    texts = [s.text for s in samples]
    for text in texts[:WARM_UP]:
        analyze(text)
    raw: list[list[Found]] = []
    started, cpu_started = time.perf_counter(), time.process_time()
    for text in texts:
        raw.append(analyze(text))
    seconds = time.process_time() - cpu_started
    wall = time.perf_counter() - started
    found = []
    for findings in raw:
        kept = resolve_overlaps(findings) if presidio else findings
        types = PRESIDIO_TYPES if presidio else {}
        found.append(
            [(types.get(t, t), s, e) for t, s, e, _ in kept if types.get(t, t) in ENTITIES]
        )
    megabytes = sum(len(t.encode()) for t in texts) / 1e6
    return Run(name, covered, found, seconds, len(texts), megabytes, wall)


@dataclass
class Counts:
    gold: int = 0
    pred: int = 0
    exact: int = 0  # predictions equal to a label
    gold_hit: int = 0  # labels overlapped by a prediction of their type
    pred_hit: int = 0  # predictions overlapping a label of their type

    def add(self, other: Counts) -> None:
        for name in ("gold", "pred", "exact", "gold_hit", "pred_hit"):
            setattr(self, name, getattr(self, name) + getattr(other, name))

    def scores(self, mode: str) -> dict[str, float | None]:
        if mode == "exact":
            p, r = _div(self.exact, self.pred), _div(self.exact, self.gold)
            f1 = _div(2 * self.exact, self.gold + self.pred)
        else:
            p, r = _div(self.pred_hit, self.pred), _div(self.gold_hit, self.gold)
            f1 = (
                (2 * p * r / (p + r) if p + r else 0.0) if p is not None and r is not None else None
            )
            if f1 is None and self.gold:
                f1 = 0.0
        return {"precision": p, "recall": r, "f1": f1}


def _div(a: int, b: int) -> float | None:
    return a / b if b else None


def score(samples: Sequence[Sample], result: Run) -> dict[str, Counts]:
    counts = {e: Counts() for e in ENTITIES}
    for sample, found in zip(samples, result.found, strict=True):
        for span in sample.spans:
            c = counts[span.entity_type]
            c.gold += 1
            c.gold_hit += any(t == span.entity_type and span.overlaps(s, e) for t, s, e in found)
        for t, s, e in found:
            c = counts[t]
            c.pred += 1
            same = [g for g in sample.spans if g.entity_type == t]
            c.exact += any(g.start == s and g.end == e for g in same)
            c.pred_hit += any(g.overlaps(s, e) for g in same)
    return counts


def negatives_flagged(samples: Sequence[Sample], result: Run) -> Counter[str]:
    flagged: Counter[str] = Counter()
    for sample, found in zip(samples, result.found, strict=True):
        for neg in sample.negatives:
            flagged[neg.entity_type] += any(neg.overlaps(s, e) for _, s, e in found)
    return flagged


# -- reporting -----------------------------------------------------------------------------


def _fmt(value: float | None) -> str:
    return "-" if value is None else f"{value:.3f}"


def _verdict(passed: bool) -> str:
    return "[green]PASS[/green]" if passed else "[bold red]MISS[/bold red]"


def _target_for(entity: str) -> float | None:
    if entity in STRUCTURED:
        return STRUCTURED_TARGET
    return FREE_TEXT_TARGET if entity in FREE_TEXT else None


def quality_table(
    mode: str, tools: Sequence[tuple[Run, dict[str, Counts]]], *, targets: bool
) -> Table:
    """Per entity, then micro-averaged over every type (a type a tool does not report counts
    as all missed) and over the types both tools report."""
    title = "exact span matching" if mode == "exact" else "overlap matching"
    table = Table(title=f"Detection quality - {title}", title_justify="left")
    table.add_column("Entity")
    table.add_column("Labels", justify="right")
    for run_, _ in tools:
        for measure in ("P", "R", "F1"):
            table.add_column(f"{run_.name} {measure}", justify="right")
    if targets:
        table.add_column("Target", justify="right")
        table.add_column("Status")
    shared = set.intersection(*(r.covered for r, _ in tools)) & set(ENTITIES)
    rows = [(e, {e}) for e in ENTITIES]
    rows += [("[bold]all (micro)[/bold]", set(ENTITIES)), ("[bold]shared (micro)[/bold]", shared)]
    for label, entities in rows:
        row = [label, f"{_total(tools[0][1], entities).gold:,}"]
        f1s: list[float | None] = []
        for run_, counts in tools:
            if len(entities) == 1 and not entities <= run_.covered:
                row += ["[dim]n/a[/dim]"] * 3
                f1s.append(None)
                continue
            s = _total(counts, entities).scores(mode)
            row += [_fmt(s["precision"]), _fmt(s["recall"]), _fmt(s["f1"])]
            f1s.append(s["f1"])
        if targets:
            target = _target_for(label)
            row.append("-" if target is None else f"≥ {target:.2f}")
            row.append("" if target is None else _verdict((f1s[0] or 0.0) >= target))
        table.add_row(*row)
    return table


def _total(counts: dict[str, Counts], entities: set[str]) -> Counts:
    total = Counts()
    for entity in entities:
        total.add(counts[entity])
    return total


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    out = make_console()
    log = Console(stderr=True, highlight=False)
    n = args.n or (QUICK_SIZE if args.quick else FULL_SIZE)

    try:
        presidio_analyze, presidio_covered = presidio_analyzer()
    except PresidioMissingError as exc:
        log.print(
            f"[bold red]error:[/bold red] Presidio is needed for the comparison ({exc}). "
            "Run `make bench` (it installs the bench extras: presidio-analyzer, spacy), or "
            "`.venv/bin/pip install -e '.\\[bench]'`."
        )
        return 2

    log.print(f"generating {n:,} texts (seed {args.seed}) …")
    samples = generate(n, args.seed)
    if args.write_jsonl:
        write_jsonl(args.write_jsonl, samples)
        log.print(f"wrote the set to {args.write_jsonl}")

    tutela_analyze, tutela_covered = tutela_analyzer()
    log.print("running Tutela …")
    tutela = run("Tutela", tutela_analyze, tutela_covered, samples, presidio=False)
    log.print("running Presidio (patterns only) …")
    presidio = run("Presidio", presidio_analyze, presidio_covered, samples, presidio=True)

    tools = [(tutela, score(samples, tutela)), (presidio, score(samples, presidio))]
    flagged = {r.name: negatives_flagged(samples, r) for r, _ in tools}
    negatives = Counter(neg.entity_type for s in samples for neg in s.negatives)
    total_negatives = sum(negatives.values())

    versions = {p: _version(p) for p in ("tutela", "presidio-analyzer", "spacy", "faker")}
    facts = run_facts("deid_quality", args.quick)
    out.print(
        f"tutela {facts['revision'] or '(revision unknown)'} ({versions['tutela']}), "
        f"presidio-analyzer {versions['presidio-analyzer']}, spaCy {versions['spacy']}, "
        f"Faker {versions['faker']}, Python {platform.python_version()}; "
        f"{n:,} texts (seed {args.seed}), {sum(len(s.spans) for s in samples):,} labels, "
        f"{total_negatives:,} hard negatives"
    )
    out.print(
        f"Tutela covers {len(tutela_covered & set(ENTITIES))} of {len(ENTITIES)} entity types; "
        f"Presidio {len(presidio_covered)}. n/a = the tool does not report that type."
    )
    out.print(quality_table("exact", tools, targets=True))
    out.print(quality_table("overlap", tools, targets=False))

    neg_table = Table(title="Hard negatives flagged (should be none)", title_justify="left")
    for column in ("Kind", "Count", "Tutela", "Presidio"):
        neg_table.add_column(column, justify="left" if column == "Kind" else "right")
    for kind in NEGATIVE_KINDS:
        neg_table.add_row(
            kind,
            f"{negatives[kind]:,}",
            f"{flagged['Tutela'][kind]:,}",
            f"{flagged['Presidio'][kind]:,}",
        )
    rates = {
        name: sum(c.values()) / total_negatives if total_negatives else 0.0
        for name, c in flagged.items()
    }
    neg_table.add_row(
        "[bold]all[/bold]",
        f"{total_negatives:,}",
        f"{sum(flagged['Tutela'].values()):,} ({rates['Tutela']:.1%})",
        f"{sum(flagged['Presidio'].values()):,} ({rates['Presidio']:.1%})",
    )
    out.print(neg_table)

    speedup = tutela.texts_per_s / presidio.texts_per_s
    speed = Table(title="Throughput (one process, one core)", title_justify="left")
    for column in ("Tool", "texts/s", "MB/s", "CPU seconds", "wall seconds"):
        speed.add_column(column, justify="left" if column == "Tool" else "right")
    for r in (tutela, presidio):
        speed.add_row(
            r.name,
            f"{r.texts_per_s:,.0f}",
            f"{r.mb_per_s:,.2f}",
            f"{r.seconds:,.2f}",
            f"{r.wall_seconds:,.2f}",
        )
    speed.add_row(
        "[bold]ratio[/bold]",
        f"{speedup:,.1f}x",
        f"{tutela.mb_per_s / presidio.mb_per_s:,.1f}x",
        "",
        "",
    )
    out.print(speed)

    targets = check_targets(tools, rates["Tutela"], speedup)
    summary = Table(title="Targets", title_justify="left")
    for column in ("Target", "Result", "Status"):
        summary.add_column(column)
    for t in targets:
        summary.add_row(t["name"], t["result"], _verdict(t["passed"]))
    out.print(summary)

    if args.json:
        emit_json(
            {
                **facts,
                "seed": args.seed,
                "texts": n,
                "labels": sum(len(s.spans) for s in samples),
                "versions": versions,
                "tools": {
                    r.name.lower(): _tool_json(r, c, flagged[r.name], negatives) for r, c in tools
                },
                "ratios": {
                    "texts_per_s": round(speedup, 3),
                    "mb_per_s": round(tutela.mb_per_s / presidio.mb_per_s, 3),
                },
                "targets": targets,
                "passed": all(t["passed"] for t in targets),
            }
        )
    return 0


def check_targets(
    tools: Sequence[tuple[Run, dict[str, Counts]]], flag_rate: float, speedup: float
) -> list[dict[str, Any]]:
    (tutela, ours), (presidio, theirs) = tools
    targets: list[dict[str, Any]] = []

    def f1(counts: dict[str, Counts], entity: str) -> float:
        return counts[entity].scores("exact")["f1"] or 0.0

    for entity in (*STRUCTURED, *FREE_TEXT):
        goal = _target_for(entity) or 0.0
        value = f1(ours, entity) if entity in tutela.covered else 0.0
        note = "" if entity in tutela.covered else " (not covered)"
        targets.append(
            {
                "name": f"{entity} F1 ≥ {goal:.2f}",
                "result": f"{value:.4f}{note}",
                "value": value,
                "passed": value >= goal,
            }
        )
    shared = sorted(tutela.covered & presidio.covered & set(ENTITIES))
    tied = [e for e in shared if f1(ours, e) <= f1(theirs, e) and f1(ours, e) >= TIE]
    behind = [
        e
        for e in shared
        if not (f1(ours, e) > f1(theirs, e) or min(f1(ours, e), f1(theirs, e)) >= TIE)
    ]
    targets.append(
        {
            "name": f"F1 above Presidio on every shared entity ({len(shared)})",
            "result": (
                "behind on " + ", ".join(behind)
                if behind
                else f"ahead on {len(shared) - len(tied)}, both ≥ {TIE} on {len(tied)}"
            ),
            "value": behind,
            "passed": not behind,
        }
    )
    targets.append(
        {
            "name": f"hard negatives flagged < {NEGATIVES_TARGET:.0%}",
            "result": f"{flag_rate:.1%}",
            "value": round(flag_rate, 4),
            "passed": flag_rate < NEGATIVES_TARGET,
        }
    )
    targets.append(
        {
            "name": f"throughput ≥ {SPEEDUP_TARGET:.0f}x Presidio (texts/s)",
            "result": f"{speedup:.1f}x",
            "value": round(speedup, 2),
            "passed": speedup >= SPEEDUP_TARGET,
        }
    )
    return targets


def _tool_json(
    r: Run, counts: dict[str, Counts], flagged: Counter[str], negatives: Counter[str]
) -> dict[str, Any]:
    def rounded(s: dict[str, float | None]) -> dict[str, float | None]:
        return {k: None if v is None else round(v, 4) for k, v in s.items()}

    entities = {
        e: {
            "labels": c.gold,
            "predicted": c.pred,
            "exact": rounded(c.scores("exact")),
            "overlap": rounded(c.scores("overlap")),
        }
        if e in r.covered
        else None
        for e, c in counts.items()
    }
    micro = _total(counts, set(ENTITIES))
    total = sum(negatives.values())
    return {
        "covered": sorted(r.covered & set(ENTITIES)),
        "entities": entities,
        "micro_all_types": {
            "exact": rounded(micro.scores("exact")),
            "overlap": rounded(micro.scores("overlap")),
        },
        "negatives": {
            "total": total,
            "flagged": sum(flagged.values()),
            "rate": round(sum(flagged.values()) / total, 4) if total else None,
            "by_kind": {k: [flagged[k], negatives[k]] for k in NEGATIVE_KINDS},
        },
        "throughput": {
            "texts_per_s": round(r.texts_per_s, 1),
            "mb_per_s": round(r.mb_per_s, 3),
            "seconds": round(r.seconds, 3),
            "wall_seconds": round(r.wall_seconds, 3),
        },
    }


def _version(package: str) -> str:
    try:
        return importlib.metadata.version(package)
    except importlib.metadata.PackageNotFoundError:
        return "?"


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    # The house parser, so `make bench BENCH_ARGS=...` can pass the same options to every
    # script; --backend and --require-postgres do not apply here (no database).
    description = __doc__.splitlines()[0] if __doc__ else None
    parser = bench_parser(description, f"{QUICK_SIZE} texts; under a minute")
    parser.add_argument("--n", type=int, default=0, help="number of texts (overrides --quick)")
    parser.add_argument("--seed", type=int, default=SEED, help=f"set seed (default {SEED})")
    parser.add_argument("--write-jsonl", metavar="PATH", help="also write the set as JSON Lines")
    return parser.parse_args(argv)


if __name__ == "__main__":
    if os.environ.get("PYTHONHASHSEED") != "0":
        # The same set in every run: Faker's draws from sets follow the string hash.
        fixed = {**os.environ, "PYTHONHASHSEED": "0"}
        os.execve(sys.executable, [sys.executable, *sys.argv], fixed)
    sys.exit(main())
