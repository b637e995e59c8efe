"""The review loop: unmatched values are listed, a steward decides, the next run uses it."""

from __future__ import annotations

import csv
import shutil

import pandas as pd
import pytest
import sqlalchemy as sa

from odc_pipeline.regions import load_reference
from odc_pipeline.regions.review import ReviewImportError, import_decisions, write_review_csv
from odc_pipeline.registry import load_registry
from odc_pipeline.settings import Settings
from odc_pipeline_tests.conftest import DATA_DIR, demo_registry_document, run_all, write_registry


def _settings(folder) -> Settings:
    return Settings(
        data_dir=folder,
        registry_path=folder / "sources.yaml",
        warehouse_dir=folder / "warehouse",
        storage_dir=folder / "storage",
    )


def _fill(path, decisions: dict[str, tuple[str, str]]) -> None:
    with open(path, newline="", encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    for row in rows:
        if row["value"] in decisions:
            row["decision_code"], row["scope"] = decisions[row["value"]]
    with open(path, "w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)


@pytest.mark.slow
def test_review_export_decide_import_and_rerun(tmp_path):
    folder = tmp_path / "data"
    path = write_registry(folder, demo_registry_document())
    shutil.copytree(DATA_DIR / "reference", folder / "reference")
    settings = _settings(folder)
    registry = load_registry(path)
    assert run_all(settings, registry).success
    engine = sa.create_engine(settings.default_warehouse_url, poolclass=sa.pool.NullPool)

    review = pd.read_sql_table("region_review", engine)
    fppjb = review[review["source_id"] == "fppjb_rekap_pilpres2024"].set_index("value")
    assert fppjb.loc["Bandung", "rows"] == 1
    assert fppjb.loc["Bandung", "example_rows"] == "30"
    assert fppjb.loc["Bandung", "suggestions"] == "Kabupaten Bandung (32.04), Kota Bandung (32.73)"
    assert len(review) == 5

    exported = tmp_path / "review.csv"
    assert write_review_csv(review, exported) == 5
    # The steward knows FPPJB's "Bandung" means the city.
    _fill(exported, {"Bandung": ("32.73", "source")})
    report = import_decisions(exported, folder / "reference", load_reference())
    assert (report.added, report.already_known, report.undecided) == (1, 0, 4)
    aliases = (folder / "reference" / "region_aliases.csv").read_text(encoding="utf-8").splitlines()
    assert aliases[-1].startswith(
        "Bandung,kabupaten_kota,32.73,fppjb_rekap_pilpres2024,review decision "
    )

    second = run_all(settings, registry)
    assert second.success
    with engine.connect() as connection:
        set_aside = connection.execute(
            sa.text(
                "select source_row, rule, reason from quarantine "
                "where source_id = 'fppjb_rekap_pilpres2024' and source_row in (23, 30) "
                "order by source_row"
            )
        ).all()
        audit = connection.execute(
            sa.text(
                "select rows_in, rows_published, rows_quarantined from load_audit "
                "where source_id = 'fppjb_rekap_pilpres2024' and run_id = :r"
            ),
            {"r": second.run_id},
        ).one()
    # "Bandung" is now Kota Bandung, and the file already gives Kota Bandung's count for the
    # first pair on row 23 (474,660 against 380,112): the decision brings the two rows
    # together, and both are set aside for the steward, naming how each wrote the city.
    assert [(r[0], r[1]) for r in set_aside] == [
        (23, "duplicate_after_harmonizing"),
        (30, "duplicate_after_harmonizing"),
    ]
    assert set_aside[1][2] == (
        "rows 23: 'KOTA BANDUNG' '01'; 30: 'Bandung' '01' are one row once harmonized: region "
        "32.73, candidate paslon_2024_01; keep one of them and remove or correct the others"
    )
    assert tuple(audit) == (27, 21, 6)
    remaining = pd.read_sql_table("region_review", engine)["value"].tolist()
    assert "Bandung" not in remaining and len(remaining) == 4
    # Importing the same decisions again adds nothing.
    assert import_decisions(exported, folder / "reference", load_reference()).added == 0
    engine.dispose()


def test_invalid_decisions_are_refused_all_together(tmp_path):
    reference_dir = tmp_path / "reference"
    reference_dir.mkdir()
    review = pd.DataFrame(
        [
            {
                "source_id": "s",
                "column_name": "region",
                "level": "kabupaten_kota",
                "system": "name",
                "value": "Bandung Timur",
                "parent_code": None,
            },
            {
                "source_id": "s",
                "column_name": "region",
                "level": "kabupaten_kota",
                "system": "name",
                "value": "Bandung",
                "parent_code": None,
            },
            {
                "source_id": "s",
                "column_name": "region",
                "level": "kabupaten_kota",
                "system": "kemendagri",
                "value": "32.99",
                "parent_code": None,
            },
            {
                "source_id": "s",
                "column_name": "kec",
                "level": "kecamatan",
                "system": "name",
                "value": "Cile",
                "parent_code": "32.73",
            },
        ]
    )
    path = tmp_path / "review.csv"
    write_review_csv(review, path)
    _fill(
        path,
        {
            "Bandung Timur": ("32.99", "all"),
            "Bandung": ("32.04.05", "source"),
            "32.99": ("32.79", "source"),
            "Cile": ("32.04.05", "source"),
        },
    )
    with pytest.raises(ReviewImportError) as caught:
        import_decisions(path, reference_dir, load_reference())
    assert caught.value.problems == [
        "line 2: decision_code '32.99' is not in the official Kemendagri list",
        "line 3: decision_code 32.04.05 is a level-3 code, but 'Bandung' is a kabupaten_kota",
        "line 4: '32.99' is a code; an alias cannot fix a code: correct it in the source file",
        "line 5: decision_code 32.04.05 is not inside the matched parent 32.73",
    ]
    assert not (reference_dir / "region_aliases.csv").exists()
