"""Guessing a CSV file's separator: the header's most frequent candidate outside quotes."""

from __future__ import annotations

from pathlib import Path

import pytest

from tutela.core.tabular import separator_of, sniff_separator


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        (b"sex;age;race\nMale;39;White\n", ";"),
        (b"email,amount\n", ","),
        (b"a\tb\tc\n", "\t"),
        (b"a|b|c\n", "|"),
        (b'"last, first";age;city\n', ";"),  # commas inside quotes do not count
        (b"\xef\xbb\xbfname;age\n", ";"),  # a byte-order mark is not a field
        (b"single\n", ","),
        (b"", ","),
    ],
)
def test_the_separator_is_the_header_s_most_frequent_candidate(
    header: bytes, expected: str
) -> None:
    assert sniff_separator(header) == expected


def test_a_tsv_file_is_tab_separated_whatever_its_header(tmp_path: Path) -> None:
    path = tmp_path / "table.tsv"
    path.write_text("a;b;c\n", "utf-8")
    assert separator_of(path) == "\t"
