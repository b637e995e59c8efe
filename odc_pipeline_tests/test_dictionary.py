"""Every published column is described, in the warehouse and in docs/data_dictionary.md."""

from __future__ import annotations

from odc_pipeline.settings import PROJECT_ROOT
from odc_pipeline.warehouse.dictionary import dictionary_rows, markdown
from odc_pipeline.warehouse.dictionary_indonesian import INDONESIAN_DESCRIPTIONS, INDONESIAN_UNITS


def test_every_column_has_a_description():
    undocumented = [
        f"{r['table_name']}.{r['column_name']}" for r in dictionary_rows() if not r["description"]
    ]
    assert undocumented == []


def test_every_description_and_unit_has_its_indonesian():
    rows = dictionary_rows()
    untranslated = sorted({r["description"] for r in rows if not r["description_indonesian"]})
    assert untranslated == [], "add these to INDONESIAN_DESCRIPTIONS (dictionary_indonesian.py)"
    # A translation whose English is no longer declared anywhere is left over from an edit.
    described = {r["description"] for r in rows}
    assert sorted(set(INDONESIAN_DESCRIPTIONS) - described) == []
    assert {r["unit"] for r in rows if r["unit"]} <= set(INDONESIAN_UNITS)


def test_the_committed_dictionary_is_current():
    committed = (PROJECT_ROOT / "docs" / "data_dictionary.md").read_text(encoding="utf-8")
    assert committed == markdown(), (
        "run: python -m odc_pipeline.warehouse.dictionary > docs/data_dictionary.md"
    )


def test_meta_columns_is_published_with_the_warehouse(demo_run):
    rows = demo_run.rows(
        "select table_name, column_name, description, description_indonesian "
        "from meta_columns order by 1, 2"
    )
    expected = sorted(
        (r["table_name"], r["column_name"], r["description"], r["description_indonesian"])
        for r in dictionary_rows()
    )
    assert rows == expected
    assert (
        "fact_election_results",
        "votes",
        "Votes for the party or candidate",
        "Suara untuk partai atau calon",
    ) in rows
