"""Rows reach the warehouse with the table's types, whatever shape the frame arrived in."""

from __future__ import annotations

import pandas as pd
import pyarrow as pa
import pyarrow.feather as feather

from odc_pipeline.distinct import empty_text
from odc_pipeline.kinds import KINDS
from odc_pipeline.warehouse.loading import sqlite_rows
from odc_pipeline.warehouse.schema import fact_table


def test_a_column_empty_in_every_row_is_sent_with_the_tables_type(tmp_path):
    # As the publish step gets a frame back from the steps' Arrow files: a text column with
    # no value in any row comes back as a dictionary of nulls, which no database can take.
    frame = pd.DataFrame(
        {"candidate": ["01", "02"], "party_id": empty_text(2), "valid_ballots": [None, None]}
    )
    path = tmp_path / "frame.arrow"
    feather.write_feather(pa.Table.from_pandas(frame), path)
    back = feather.read_table(path).to_pandas()
    assert pa.types.is_null(pa.Table.from_pandas(back).schema.field("party_id").type.value_type)
    rows = sqlite_rows(fact_table(KINDS["election_results"]), back)
    assert rows.schema.field("party_id").type == pa.string()
    assert rows.schema.field("valid_ballots").type == pa.int64()
    assert rows.column("party_id").null_count == 2
