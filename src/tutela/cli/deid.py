"""`tutela scan | redact | reveal | deid-key new`: find personal data in text, de-identify it
by a policy, give `encrypt` tokens back to a key holder.

Matched values are never printed unless `scan --show-values` asks for them. Input is read
by lines, in blocks, with a progress bar on stderr for large files; offsets are characters
of the whole input (of each line's text with `--jsonl`).
"""

from __future__ import annotations

import json
import os
import sys
import tempfile
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path
from typing import IO, Annotated, Any

import typer
from rich.table import Column, Table
from rich.text import Text

from tutela.cli._common import JsonOption, emit, fail, progress, stderr, stdout
from tutela.deid.analyzer import Analyzer
from tutela.deid.findings import Finding
from tutela.deid.keys import DEFAULT_RECIPIENT, create_key_file, key_source
from tutela.deid.policy import Policy
from tutela.deid.text import redact_text, reveal_text
from tutela.errors import ConfigError, CryptoError, ValidationFailed

BLOCK_CHARS = 1_000_000  # lines are analyzed in blocks of about this many characters
PROGRESS_BYTES = 4 * 1_048_576  # show a progress bar for inputs larger than this

InputArg = Annotated[str, typer.Argument(metavar="FILE|-", help="Text file, or - for stdin.")]
PolicyOption = Annotated[
    Path | None,
    typer.Option(
        "--policy",
        help="Policy YAML (threshold, recognizers, allow/deny lists).",
        exists=True,
        dir_okay=False,
    ),
]
KeyFileOption = Annotated[
    Path | None,
    typer.Option(
        "--key-file",
        help="De-identification key [default: env TUTELA_DEID_KEY].",
        exists=True,
        dir_okay=False,
    ),
]
OutOption = Annotated[
    Path | None,
    typer.Option("-o", "--output", help="Write here instead of stdout.", dir_okay=False),
]

key_app = typer.Typer(help="Keys for the keyed de-identification operators.", no_args_is_help=True)


# -- input and output ------------------------------------------------------------------------


@contextmanager
def _lines(source: str) -> Iterator[Iterator[tuple[int, str]]]:
    """(line number, line text with its newline) of a file or stdin, in order; a progress
    bar on stderr for a large file."""
    with ExitStack() as stack:
        if source == "-":
            stream: IO[bytes] = sys.stdin.buffer
            size = None
        else:
            try:
                stream = stack.enter_context(Path(source).open("rb"))
                size = os.fstat(stream.fileno()).st_size
            except OSError:
                fail(f"cannot read {source}", 2)
        update: Callable[[int, int], None] | None = None
        if size is not None and size > PROGRESS_BYTES:
            update = stack.enter_context(progress(f"reading {Path(source).name}", size))

        def read() -> Iterator[tuple[int, str]]:
            done = 0
            for number, raw in enumerate(stream, start=1):
                try:
                    line = raw.decode("utf-8")
                except UnicodeDecodeError:
                    fail(f"line {number}: not UTF-8 text", 2)
                done += len(raw)
                if update is not None and size is not None:
                    update(done, size)
                yield number, line

        yield read()


def _blocks(lines: Iterator[tuple[int, str]]) -> Iterator[tuple[int, str]]:
    """Whole lines joined into blocks of about `BLOCK_CHARS`, each with its start offset."""
    parts: list[str] = []
    size = offset = 0
    for _, line in lines:
        parts.append(line)
        size += len(line)
        if size >= BLOCK_CHARS:
            yield offset, "".join(parts)
            offset += size
            parts, size = [], 0
    if parts:
        yield offset, "".join(parts)


@contextmanager
def _output(out: Path | None, source: str) -> Iterator[IO[str]]:
    """stdout, or a file written whole or not at all (a temporary file renamed at the end)."""
    if out is None:
        yield sys.stdout
        return
    if source != "-" and Path(source).resolve() == out.resolve():
        fail("the output file must not be the input file", 2)
    fd, tmp = tempfile.mkstemp(dir=out.resolve().parent, prefix=f".{out.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="") as file:
            yield file
        os.replace(tmp, out)
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)


def _finding(f: Finding, text: str, base: int, show: bool) -> dict[str, Any]:
    """A finding with offsets into the whole input (and its value only if asked)."""
    data = f.as_dict()
    data["start"], data["end"] = f.start + base, f.end + base
    if show:
        data["value"] = text[f.start : f.end]
    return data


def _prepared(
    path: Path | None,
    *,
    keys_from: Path | None = None,
    threshold: float | None = None,
    entities: list[str] | None = None,
) -> tuple[Policy, Analyzer]:
    """The policy (with its keys, if it needs any: a missing key fails here, before any
    output) and its analyzer; a problem with either is exit 2."""
    try:
        policy = Policy.default() if path is None else Policy.load(path)
        if policy.needs_key:
            policy = policy.with_keys(key_source(key_file=keys_from, environ=os.environ))
        return policy, policy.analyzer(threshold=threshold, entities=entities)
    except (ValidationFailed, ConfigError, CryptoError) as exc:
        fail(str(exc), 2)


# -- scan ------------------------------------------------------------------------------------


@contextmanager
def _jsonl_texts(source: str) -> Iterator[Iterator[str]]:
    with _lines(source) as lines:

        def texts() -> Iterator[str]:
            for number, line in lines:
                if not line.strip():
                    continue
                try:
                    record = json.loads(line)
                except ValueError:
                    fail(f"line {number}: not valid JSON", 2)
                if not isinstance(record, dict) or not isinstance(record.get("text"), str):
                    fail(f"line {number}: not a JSON object with a string 'text' field", 2)
                yield record["text"]

        yield texts()


def scan(
    source: InputArg,
    policy_file: PolicyOption = None,
    threshold: Annotated[
        float | None,
        typer.Option(
            "--threshold", min=0.0, max=1.0, help="Report findings scoring at least this."
        ),
    ] = None,
    entity: Annotated[
        list[str] | None, typer.Option("--entity", "-e", help="Only this type (repeatable).")
    ] = None,
    jsonl: Annotated[
        bool,
        typer.Option("--jsonl", help="Input is JSON lines with a 'text' field; one line out each."),
    ] = False,
    show_values: Annotated[
        bool, typer.Option("--show-values", help="Also print the matched values (personal data).")
    ] = False,
    as_json: JsonOption = False,
) -> None:
    """Find personal data; exit 1 if anything scores at or above the threshold, 0 if not.

    Prints each finding's type, offsets, score and recognizer; never the value itself unless
    --show-values is given.
    """
    _, analyzer = _prepared(policy_file, threshold=threshold, entities=entity or None)
    if jsonl:
        found = _scan_jsonl(source, analyzer, show_values)
        raise typer.Exit(1 if found else 0)
    findings: list[dict[str, Any]] = []
    with _lines(source) as lines:
        for base, block in _blocks(lines):
            findings += [_finding(f, block, base, show_values) for f in analyzer.analyze(block)]
    counts = Counter(f["entity_type"] for f in findings)
    emit(
        as_json,
        {"findings": findings, "counts": dict(sorted(counts.items()))},
        lambda: _render(findings, analyzer.threshold, show_values),
    )
    raise typer.Exit(1 if findings else 0)


def _scan_jsonl(source: str, analyzer: Analyzer, show_values: bool) -> int:
    found = 0
    with _jsonl_texts(source) as texts:
        for text in texts:
            findings = [_finding(f, text, 0, show_values) for f in analyzer.analyze(text)]
            found += len(findings)
            sys.stdout.write(json.dumps({"findings": findings}, ensure_ascii=False) + "\n")
    return found


def _render(findings: list[dict[str, Any]], threshold: float, show_values: bool) -> None:
    if not findings:
        stdout.print(f"no personal data found (threshold {threshold})")
        return
    value = Column("value", no_wrap=True, overflow="ignore")  # whole, however wide
    table = Table("type", "start", "end", "score", "recognizer", *([value] if show_values else []))
    for f in findings:
        row = [
            f["entity_type"],
            str(f["start"]),
            str(f["end"]),
            f"{f['score']:.2f}",
            f["recognizer"],
        ]
        table.add_row(*(Text(c) for c in row), *([Text(f["value"])] if show_values else []))
    stdout.print(table)
    stdout.print(f"{len(findings)} finding(s) at or above threshold {threshold}")


# -- redact and reveal ----------------------------------------------------------------------


def redact(
    source: InputArg,
    policy_file: Annotated[
        Path,
        typer.Option(
            "--policy", help="Policy YAML: what each type becomes.", exists=True, dir_okay=False
        ),
    ],
    key_file: KeyFileOption = None,
    out: OutOption = None,
) -> None:
    """De-identify a text as the policy says (keyed operators need --key-file or
    TUTELA_DEID_KEY)."""
    policy, analyzer = _prepared(policy_file, keys_from=key_file)
    try:
        policy.prepare()
    except ValidationFailed as exc:
        fail(str(exc), 2)
    counts: Counter[str] = Counter()
    with _lines(source) as lines, _output(out, source) as sink:
        for _, block in _blocks(lines):
            findings = analyzer.analyze(block)
            counts.update(f.entity_type for f in findings)
            sink.write(redact_text(block, findings, policy))
    summary = ", ".join(f"{n} {kind}" for kind, n in sorted(counts.items())) or "nothing found"
    stderr.print(f"de-identified: {summary}", markup=False)


def reveal(
    source: InputArg,
    key_file: KeyFileOption = None,
    recipient: Annotated[
        str | None,
        typer.Option(
            "--recipient",
            help=f"Whose key made the tokens [default: the policy's, or '{DEFAULT_RECIPIENT}'].",
        ),
    ] = None,
    policy_file: Annotated[
        Path | None,
        typer.Option(
            "--policy", help="Take the recipient from this policy.", exists=True, dir_okay=False
        ),
    ] = None,
    out: OutOption = None,
) -> None:
    """Decrypt the enc:v1 tokens of a text (made by the encrypt operator) with the key.

    Exit 1 if some token could not be decrypted with this key (it is left as it was).
    """
    if recipient is None:
        recipient = _prepared(policy_file)[0].recipient if policy_file else DEFAULT_RECIPIENT
    try:
        keys = key_source(key_file=key_file, environ=os.environ)
    except (ConfigError, CryptoError) as exc:
        fail(str(exc), 2)
    if keys.key(recipient) is None:
        fail(f"reveal needs the key: {keys.missing_hint}", 2)
    revealed = failed = 0
    with _lines(source) as lines, _output(out, source) as sink:
        for _, block in _blocks(lines):
            result = reveal_text(block, keys, recipient=recipient)
            revealed, failed = revealed + result.revealed, failed + result.failed
            sink.write(result.text)
    stderr.print(f"{revealed} token(s) decrypted", markup=False)
    if failed:
        stderr.print(f"{failed} token(s) could not be decrypted with this key", markup=False)
        raise typer.Exit(1)


# -- keys ------------------------------------------------------------------------------------


@key_app.command("new")
def new_key(
    file: Annotated[
        Path,
        typer.Argument(
            help="Where to write the key (mode 0600, never overwritten).", dir_okay=False
        ),
    ],
    as_json: JsonOption = False,
) -> None:
    """Create a random 512-bit de-identification key file.

    Whoever holds it can reverse encrypt tokens and link pseudonyms to values: keep it
    apart from the data it protects.
    """
    create_key_file(file)
    emit(
        as_json,
        {"key_file": str(file)},
        lambda: stdout.print(
            Text(f"de-identification key written to {file} (mode 0600); keep it secret")
        ),
    )
