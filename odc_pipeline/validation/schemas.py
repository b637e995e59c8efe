"""The pandera schema of each dataset kind, derived from its declaration: the rules a row must
meet to be published.

Region columns are not part of the schemas: their names come from each source's registry
entry and their meaning is decided by the harmonizer, not by a dtype. Schemas are not
strict: region and provenance columns travel beside the checked ones.
"""

from __future__ import annotations

from functools import cache

import pandas as pd
import pandera.pandas as pa

from odc_pipeline.kinds import KINDS, Column, DatasetKind

#: The dtype each column type has once its cells are parsed (see `validate._parse_values`).
DTYPES = {
    "text": str,
    "integer": pd.Int64Dtype(),
    "decimal": pd.Float64Dtype(),
    "date": "datetime64[ns]",
    "time": str,
    "boolean": pd.BooleanDtype(),
}


def column_checks(column: Column) -> list[pa.Check]:
    """The checks on one column's values, named as pandera names them (the quarantine's
    `rule`): `isin([...])`, `in_range(a, b)`, `greater_than_or_equal_to(a)`, ..."""
    checks = []
    if column.allowed:
        checks.append(pa.Check.isin(list(column.allowed)))
    elif column.type == "text":
        checks.append(pa.Check.str_length(min_value=1))
    low, high = column.minimum, column.maximum
    if low is not None and high is not None:
        checks.append(pa.Check.in_range(_number(low), _number(high)))
    elif low is not None:
        checks.append(pa.Check.ge(_number(low)))
    elif high is not None:
        checks.append(pa.Check.le(_number(high)))
    return checks


def _number(bound: float) -> int | float:
    return int(bound) if float(bound).is_integer() else bound


def kind_schema(kind: DatasetKind) -> pa.DataFrameSchema:
    """Every declared column with its dtype, nullability and checks, and the kind's relations
    as checks over the whole row."""
    return pa.DataFrameSchema(
        {
            column.name: pa.Column(
                DTYPES[column.type],
                checks=column_checks(column),
                nullable=column.nullable,
                coerce=False,
            )
            for column in kind.columns
            if not column.withheld
        },
        checks=[pa.Check(relation.holds, name=relation.name) for relation in kind.relations],
        strict=False,
        coerce=False,
        name=kind.name,
    )


@cache
def _schema(kind: DatasetKind) -> pa.DataFrameSchema:
    return kind_schema(kind)


def schema_for(kind_name: str) -> pa.DataFrameSchema:
    """The schema of a kind, built once per declaration."""
    return _schema(KINDS[kind_name])
