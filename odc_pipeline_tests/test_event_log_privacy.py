"""A real file's personal columns never reach Dagster's event log, mapped or not.

KPU's 2014 DPR candidate list (../shared/data/real, Perludem's copy) carries each candidate's
birth place and date, spouse's name, number of children and home address. A steward maps
the columns the warehouse needs; the rest of the file must stay out of every preview and
message a UI user can read.
"""

from __future__ import annotations

import pandas as pd
import pytest

from odc_pipeline.registry import load_registry
from odc_pipeline_tests.conftest import logged_text, make_settings, run_all, write_registry
from odc_pipeline_tests.test_real_data import REAL

CANDIDATES = REAL / "perludem-api-pemilu-2014" / "calon-dpr.csv"
#: The columns PROVENANCE.md calls personal.
PERSONAL = (
    "tempat_lahir",
    "tanggal_lahir",
    "status_perkawinan",
    "nama_pasangan",
    "jumlah_anak",
    "kelurahan_tinggal",
    "kecamatan_tinggal",
    "kab_kota_tinggal",
    "foto_url",
)

pytestmark = pytest.mark.skipif(not CANDIDATES.is_file(), reason=f"{CANDIDATES} is absent")


def test_the_candidate_lists_personal_columns_stay_out_of_the_event_log(tmp_path):
    document = {
        "data_folder": {"variable": "ODC_REAL_DATA_DIR", "default": str(REAL)},
        "organizations": {"perludem": {"name": "Perludem"}},
        "sources": [
            {
                "id": "perludem_caleg_dpr2014",
                "organization": "perludem",
                "kind": "election_results",
                "format": "csv",
                "location": "perludem-api-pemilu-2014/calon-dpr.csv",
                "columns": {"id_provinsi": "region", "nama": "candidate", "suara_sah": "votes"},
                "constants": {"election": "pemilu", "year": 2014, "contest": "dpr"},
                "regions": [{"column": "region", "level": "provinsi", "system": "kemendagri"}],
                "licence": "none stated",
                "sharing": "private",
                "max_rejected_share": 1.0,
            }
        ],
    }
    path = write_registry(tmp_path, document, copy_demo_files=False)
    result = run_all(make_settings(tmp_path, path), load_registry(path))
    assert result.success
    text = logged_text(result)

    # The raw step's preview shows the first rows: every personal cell there is a value
    # the log could have held. Short values (a child count of 2) would match anything.
    file = pd.read_csv(CANDIDATES, dtype=str, keep_default_na=False)
    planted = {value for column in PERSONAL for value in file[column].head(10) if len(value) >= 6}
    assert len(planted) > 40
    leaked = sorted(value for value in planted if value in text)
    assert leaked == []
    # The mapped, non-personal columns are still previewed for the steward.
    assert file["nama"].iloc[0] in text
