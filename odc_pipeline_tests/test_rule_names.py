"""Every rule a person can meet reads as plain words, never as a check's machine name."""

from __future__ import annotations

import re

import pytest

from odc_pipeline.kinds import KINDS
from odc_pipeline.validation.rule_names import plain_rule
from odc_pipeline.validation.schemas import column_checks


@pytest.mark.parametrize(
    ("rule", "column", "expected"),
    [
        ("greater_than_or_equal_to(0)", "votes", "votes must be 0 or more"),
        ("less_than_or_equal_to(100)", "share", "share must be 100 or less"),
        ("in_range(1955, 2100)", "year", "year must be from 1955 to 2100"),
        ("isin(['b', 'a'])", "category", "category must be one of: a, b"),
        ("str_length(1, None)", "candidate", "candidate must not be blank"),
        ("not_nullable", "votes", "votes must not be empty"),
        ("number_format", "votes", "votes must be a number"),
        ("region_unmatched", "region", "the region must be one of the official list"),
        ("something_new", None, "the value: something new"),
    ],
)
def test_rules_in_plain_words(rule, column, expected):
    assert plain_rule(rule, column) == expected


def test_a_long_vocabulary_is_cut_with_a_count():
    rule = "isin(" + repr([f"v{n:02d}" for n in range(12)]) + ")"
    assert plain_rule(rule, "x") == (
        "x must be one of: v00, v01, v02, v03, v04, v05, v06, v07 (and 4 more)"
    )


def test_every_check_a_kind_declares_reads_without_machine_names():
    """The names pandera gives each declared check, and each relation's, all read plainly."""
    for kind in KINDS.values():
        for column in kind.columns:
            for check in column_checks(column):
                text = plain_rule(check.name + _arguments(check), column.name)
                assert not re.search(r"[a-z]+_[a-z]+\(", text), (kind.name, text)
                assert text.startswith(column.name), (kind.name, text)
        for relation in kind.relations:
            assert plain_rule(relation.name, relation.column) == relation.description


def _arguments(check) -> str:
    """The arguments as the quarantine's rule name shows them: `greater_than_or_equal_to(0)`."""
    statistics = check.statistics or {}
    if check.name == "isin":
        return f"({list(statistics['allowed_values'])!r})"
    if check.name == "in_range":
        return f"({statistics['min_value']}, {statistics['max_value']})"
    if check.name == "str_length":
        return f"({statistics.get('min_value')}, {statistics.get('max_value')})"
    return "(" + ", ".join(str(v) for v in statistics.values()) + ")"
