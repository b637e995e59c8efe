"""The committed demo files are exactly what the generator writes."""

from __future__ import annotations

from openpyxl import load_workbook

from odc_pipeline.demo.generate import write_demo
from odc_pipeline_tests.conftest import DATA_DIR


def _cells(path):
    workbook = load_workbook(path, read_only=True)
    try:
        return {
            name: [tuple(r) for r in workbook[name].iter_rows(values_only=True)]
            for name in workbook.sheetnames
        }
    finally:
        workbook.close()


def test_generator_reproduces_the_committed_demo(tmp_path):
    written = write_demo(tmp_path)
    assert sorted(p.name for p in written) == sorted(p.name for p in (DATA_DIR / "demo").iterdir())
    for path in written:
        committed = DATA_DIR / "demo" / path.name
        if path.suffix == ".xlsx":
            assert _cells(path) == _cells(committed)
        else:
            assert path.read_bytes() == committed.read_bytes(), path.name


def test_demo_uses_real_region_codes(tmp_path):
    from odc_pipeline.demo.generate import JABAR
    from odc_pipeline.regions import load_reference

    reference = load_reference().set_index("region_code")["name"]
    assert len(JABAR) == 27
    for code, name, _ in JABAR:
        assert reference[code] == name
