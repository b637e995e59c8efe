"""HTML pieces of the reports; every value from the data is escaped."""

from __future__ import annotations

from html import escape

import pandas as pd


def html_table(frame: pd.DataFrame) -> str:
    """`frame` as an HTML table; missing values as empty cells."""
    head = "".join(f"<th>{escape(str(c))}</th>" for c in frame.columns)
    body = "".join(
        "<tr>" + "".join(f"<td>{'' if pd.isna(v) else escape(str(v))}</td>" for v in row) + "</tr>"
        for row in frame.itertuples(index=False)
    )
    return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"
