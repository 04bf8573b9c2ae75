"""Tables: `scan_table` finds the personal columns of CSV, JSONL and Parquet files, and
`redact_table` writes a copy with none of their values left, everything else unchanged.

The tables are generated (seeded Faker, plus values that embed the row number so each is
unique); `tests/data/adult/` holds a few rows of the real Adult table (see its README) for a
table with no direct identifiers. Failures must name the file, column or line, never a value,
and leave nothing at the output path.
"""

from __future__ import annotations

import itertools
import json
from pathlib import Path

import polars as pl
import pytest
from faker import Faker

from tutela.deid.columns import ColumnKind
from tutela.deid.keys import MasterKey
from tutela.deid.policy import Policy
from tutela.deid.tables import (
    ColumnNotInTable,
    TableError,
    redact_table,
    scan_table,
)

ADULT = Path(__file__).parent.parent / "data" / "adult" / "adult_head40.csv"
KEY = MasterKey(bytes(range(64)))
OTHER_KEY = MasterKey(bytes(range(1, 65)))
PII = ("email", "phone", "name")
PLAIN = ("id", "status", "amount", "created_at")  # "city" is up to the location recognizer
ROWS = 120
SAMPLE = 60  # values sampled per column: enough, and keeps the analyzer's work small


def customers(rows: int = ROWS, seed: int = 7) -> pl.DataFrame:
    fake = Faker("en_GB")
    fake.seed_instance(seed)
    records = []
    for i in range(rows):
        first, last = fake.first_name(), fake.last_name()
        email = f"{first}.{last}.{i}@shop.example".lower().replace(" ", "")
        records.append(
            {
                "id": i,
                "email": email,
                "phone": f"+44 7400 {i:06d}",
                "name": f"{first} {last}",
                "city": fake.city(),
                "status": ("paid", "shipped", "refunded")[i % 3],
                "amount": f"{fake.pyfloat(left_digits=3, right_digits=2, positive=True):.2f}",
                "created_at": fake.date_time_this_decade().isoformat(),
                "notes": f"Customer wrote from {email} about a late parcel, please call back."
                if i % 2 == 0
                else "Asked about delivery times for the spring collection, nothing else.",
            }
        )
    return pl.DataFrame(records)


def write(frame: pl.DataFrame, path: Path) -> Path:
    if path.suffix == ".csv":
        frame.write_csv(path)
    elif path.suffix == ".jsonl":
        frame.write_ndjson(path)
    else:
        frame.write_parquet(path)
    return path


def read(path: Path) -> pl.DataFrame:
    if path.suffix == ".csv":
        return pl.read_csv(path, infer_schema=False)
    if path.suffix == ".jsonl":
        return pl.read_ndjson(path)
    return pl.read_parquet(path)


def pseudonymizing(**extra: object) -> Policy:
    return Policy.from_mapping({"default": {"operator": "pseudonymize"}, **extra}, keys=KEY)


def leftovers(tmp: Path) -> list[str]:
    return sorted(p.name for p in tmp.iterdir() if ".partial" in p.name or p.name.startswith("out"))


# -- scanning -----------------------------------------------------------------------------


@pytest.mark.parametrize("suffix", [".csv", ".jsonl", ".parquet"])
def test_scan_finds_every_personal_column(tmp_path: Path, suffix: str) -> None:
    path = write(customers(), tmp_path / f"customers{suffix}")

    reports = {r.name: r for r in scan_table(path, sample=SAMPLE)}

    assert list(reports) == [*customers(1).columns]
    expected = {"email": "EMAIL_ADDRESS", "phone": "PHONE_NUMBER", "name": "PERSON"}
    for column, entity in expected.items():
        report = reports[column]
        assert (report.kind, report.entity_type) == (ColumnKind.PII, entity), column
        assert report.confidence >= 0.8
        assert report.share >= 0.8
    notes = reports["notes"]
    assert notes.kind is ColumnKind.FREE_TEXT
    assert notes.contains[0] == "EMAIL_ADDRESS"
    assert notes.label.startswith("free text containing EMAIL_ADDRESS")
    for column in PLAIN:
        assert reports[column].kind is ColumnKind.NONE, column


def test_scan_of_real_census_rows_finds_only_the_country() -> None:
    reports = scan_table(ADULT, sample=40)

    assert [r.name for r in reports][:3] == ["sex", "age", "race"]  # ";" found as separator
    found = {r.name: r.entity_type for r in reports if r.kind is not ColumnKind.NONE}
    assert found == {"native-country": "LOCATION"}  # categories, ages, jobs: nothing


# -- redacting ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("src", "dst"),
    [(".csv", ".csv"), (".jsonl", ".jsonl"), (".parquet", ".parquet"), (".csv", ".parquet")],
)
def test_redact_leaves_no_personal_value_and_the_rest_unchanged(
    tmp_path: Path, src: str, dst: str
) -> None:
    original = customers()
    path = write(original, tmp_path / f"customers{src}")
    out = tmp_path / f"out{dst}"
    seen: list[tuple[int, int | None]] = []

    report = redact_table(
        path, pseudonymizing(), out, progress=lambda d, t: seen.append((d, t)), sample=SAMPLE
    )

    result = read(out)
    assert report.rows == ROWS == result.height
    assert result.columns == original.columns
    actions = {c.column: c for c in report.columns}
    for column in PII:
        assert actions[column].action == "pseudonymize"
        before, after = set(original[column].cast(pl.String)), result[column].to_list()
        assert not before & set(after), column
        assert all(a.startswith(actions[column].entity_type + "_") for a in after)
        assert len(set(after)) == len(before)  # distinct stays distinct (joins survive)
    for column in PLAIN:
        assert actions[column].action == "keep"
        assert (
            result[column].cast(pl.String).to_list() == original[column].cast(pl.String).to_list()
        ), column
    assert actions["notes"].action == "detect"
    emails = set(original["email"])
    for before, after in zip(original["notes"], result["notes"], strict=True):
        assert not any(e in after for e in emails)
        assert after.endswith(before[-30:])  # the text around what was found is kept
    assert seen[-1] == (ROWS, ROWS)
    assert all(a[0] <= b[0] for a, b in itertools.pairwise(seen))
    assert leftovers(tmp_path) == [out.name]


def test_pseudonyms_are_the_same_across_runs_with_one_key(tmp_path: Path) -> None:
    path = write(customers(), tmp_path / "customers.csv")
    first, second, other = tmp_path / "a.csv", tmp_path / "b.csv", tmp_path / "c.csv"

    redact_table(path, pseudonymizing(), first, sample=SAMPLE)
    redact_table(path, pseudonymizing(), second, sample=SAMPLE)
    redact_table(path, pseudonymizing().with_keys(OTHER_KEY), other, sample=SAMPLE)

    assert first.read_bytes() == second.read_bytes()
    a, c = read(first), read(other)
    for column in PII:
        assert not set(a[column]) & set(c[column]), column


def test_policy_columns_decide_before_classification(tmp_path: Path) -> None:
    path = write(customers(), tmp_path / "customers.csv")
    policy = pseudonymizing(
        columns={
            "email": {"operator": "replace"},
            "city": {"operator": "pseudonymize", "entity_type": "LOCATION"},
            "name": {"operator": "keep"},
            "notes": {"operator": "keep"},
        }
    )

    report = redact_table(path, policy, tmp_path / "out.csv", sample=SAMPLE)

    actions = {c.column: (c.action, c.source) for c in report.columns}
    assert actions["email"] == ("replace", "policy")
    assert actions["city"] == ("pseudonymize", "policy")
    assert actions["name"] == ("keep", "policy")
    assert actions["phone"] == ("pseudonymize", "classified")
    result, original = read(tmp_path / "out.csv"), customers()
    assert set(result["email"]) == {"<EMAIL>"}
    assert all(c.startswith("LOCATION_") for c in result["city"])
    assert result["name"].to_list() == original["name"].to_list()
    assert result["notes"].to_list() == original["notes"].to_list()


def test_real_census_rows_are_copied_unchanged(tmp_path: Path) -> None:
    out = tmp_path / "adult.csv"

    policy = pseudonymizing(entities={"LOCATION": {"operator": "keep"}})

    report = redact_table(ADULT, policy, out, sample=40)

    assert report.rows == 40
    assert {c.action for c in report.columns} == {"keep"}
    original = pl.read_csv(ADULT, separator=";", infer_schema=False)
    assert read_semicolon(out).equals(original)


def read_semicolon(path: Path) -> pl.DataFrame:
    return pl.read_csv(path, separator=";", infer_schema=False)


# -- failures -----------------------------------------------------------------------------


def test_a_column_the_policy_names_must_exist(tmp_path: Path) -> None:
    path = write(customers(), tmp_path / "customers.csv")
    policy = pseudonymizing(columns={"e_mail": {"operator": "redact"}})

    with pytest.raises(ColumnNotInTable) as caught:
        redact_table(path, policy, tmp_path / "out.csv")

    assert "'e_mail'" in str(caught.value)
    assert str(path) in str(caught.value)
    assert leftovers(tmp_path) == []


def test_a_malformed_csv_line_is_named_without_its_values(tmp_path: Path) -> None:
    secret = "jane.secret@leak.example"
    path = tmp_path / "bad.csv"
    lines = ["id,email,notes", *(f"{i},user{i}@shop.example,fine" for i in range(300))]
    lines.insert(200, f"200,{secret},one,too,many")
    path.write_text("\n".join(lines) + "\n")

    with pytest.raises(TableError) as caught:
        redact_table(path, pseudonymizing(), tmp_path / "out.csv", sample=SAMPLE)

    message = str(caught.value)
    assert f"{path}, line 201" in message
    assert "5 fields where the header has 3" in message
    assert secret not in message and "leak" not in message
    assert caught.value.__cause__ is None and caught.value.__suppress_context__
    assert leftovers(tmp_path) == []


def test_an_unbalanced_quote_is_named_by_line(tmp_path: Path) -> None:
    path = tmp_path / "bad.csv"
    path.write_text('id,notes\n1,"fine"\n2,"never closed secret@leak.example\n3,ok\n')

    with pytest.raises(TableError) as caught:
        scan_table(path)

    assert f"{path}, line 3" in str(caught.value)
    assert "leak" not in str(caught.value)


def test_a_malformed_jsonl_line_is_named(tmp_path: Path) -> None:
    path = tmp_path / "bad.jsonl"
    good = [json.dumps({"id": i, "email": f"u{i}@shop.example"}) for i in range(5)]
    path.write_text("\n".join([*good, '{"id": 5, "email": "secret@leak.example"', *good]) + "\n")

    with pytest.raises(TableError) as caught:
        redact_table(path, pseudonymizing(), tmp_path / "out.jsonl")

    assert f"{path}, line 6: not valid JSON" in str(caught.value)
    assert "leak" not in str(caught.value)
    assert leftovers(tmp_path) == []


@pytest.mark.parametrize(
    ("name", "content", "expected"),
    [
        ("table.xlsx", b"id\n1\n", "unsupported table format '.xlsx'"),
        ("missing.csv", None, "no such file"),
        ("empty.csv", b"", "the file is empty"),
        ("fake.parquet", b"not parquet at all", "not a readable Parquet file"),
    ],
)
def test_unreadable_input_is_named(
    tmp_path: Path, name: str, content: bytes | None, expected: str
) -> None:
    path = tmp_path / name
    if content is not None:
        path.write_bytes(content)

    with pytest.raises(TableError) as caught:
        redact_table(path, pseudonymizing(), tmp_path / "out.csv")

    assert str(caught.value) == f"{path}: {expected}" or str(caught.value).startswith(
        f"{path}: {expected}"
    )
    assert leftovers(tmp_path) == []


def test_the_output_format_must_be_known_and_not_the_input(tmp_path: Path) -> None:
    path = write(customers(10), tmp_path / "customers.csv")

    with pytest.raises(TableError, match=r"out\.txt: unsupported table format"):
        redact_table(path, pseudonymizing(), tmp_path / "out.txt")
    with pytest.raises(TableError, match="would replace the input"):
        redact_table(path, pseudonymizing(), path)
    with pytest.raises(TableError, match="directory does not exist"):
        redact_table(path, pseudonymizing(), tmp_path / "nowhere" / "out.csv")


def test_a_subject_aware_operator_gets_each_rows_subject(tmp_path: Path) -> None:
    frame = pl.DataFrame(
        {
            "customer": ["a", "a", "b", "b"],
            "ordered": ["2024-03-01", "2024-03-11", "2024-03-01", "2024-03-11"],
        }
    )
    path = write(frame, tmp_path / "orders.csv")
    shift = {"operator": "date_shift", "subject_column": "customer", "max_days": 300}
    policy = pseudonymizing(columns={"ordered": shift, "customer": {"operator": "keep"}})

    redact_table(path, policy, tmp_path / "out.csv")

    days = read(tmp_path / "out.csv")["ordered"].str.to_date().to_list()
    assert (days[1] - days[0]).days == (days[3] - days[2]).days == 10  # intervals survive
    assert days[0] != days[2]  # another subject, another offset
    assert "2024-03-01" not in {str(d) for d in days}


def test_an_operator_failure_names_the_column_not_the_value(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = write(customers(), tmp_path / "customers.csv")
    policy = pseudonymizing(columns={"email": {"operator": "redact"}})

    class Broken:
        name = "broken"

        def apply(self, value: str, entity_type: str) -> str:
            raise ValueError(f"cannot handle {value}")

    monkeypatch.setattr(policy, "column_operator", lambda name: Broken())

    with pytest.raises(TableError) as caught:
        redact_table(path, policy, tmp_path / "out.csv", sample=SAMPLE)

    assert str(caught.value) == f"{path}: column 'email' could not be de-identified (ValueError)"
    assert leftovers(tmp_path) == []


def test_parquet_progress_knows_the_total(tmp_path: Path) -> None:
    path = write(customers(), tmp_path / "customers.parquet")
    seen: list[tuple[int, int | None]] = []

    redact_table(
        path,
        pseudonymizing(),
        tmp_path / "out.jsonl",
        progress=lambda *a: seen.append(a),
        sample=SAMPLE,
    )

    assert seen and all(total == ROWS for _, total in seen)
    assert seen[-1] == (ROWS, ROWS)
