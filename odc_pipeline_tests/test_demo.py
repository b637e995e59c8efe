"""The committed demo files are exactly what the generator writes."""

from __future__ import annotations

import shutil

from odc_pipeline.demo.generate import workbook_cells, write_demo
from odc_pipeline_tests.conftest import DATA_DIR


def test_generator_reproduces_the_committed_demo(tmp_path):
    written = write_demo(tmp_path)
    assert sorted(p.name for p in written) == sorted(p.name for p in (DATA_DIR / "demo").iterdir())
    for path in written:
        committed = DATA_DIR / "demo" / path.name
        if path.suffix == ".xlsx":
            assert workbook_cells(path) == workbook_cells(committed)
        else:
            assert path.read_bytes() == committed.read_bytes(), path.name


def test_demo_uses_real_region_codes(tmp_path):
    from odc_pipeline.demo.generate import JABAR
    from odc_pipeline.regions import load_reference

    reference = load_reference().set_index("region_code")["name"]
    assert len(JABAR) == 27
    for code, name, _ in JABAR:
        assert reference[code] == name


def test_writing_the_demo_again_leaves_the_workbook_as_it_was(tmp_path):
    """`make demo` over the committed files changes none of them: a workbook saved again
    would carry the time of saving, and git would show it as changed."""
    for committed in (DATA_DIR / "demo").iterdir():
        shutil.copy2(committed, tmp_path / committed.name)
    for path in write_demo(tmp_path):
        assert path.read_bytes() == (DATA_DIR / "demo" / path.name).read_bytes(), path.name
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(
        p.name for p in (DATA_DIR / "demo").iterdir()
    )
