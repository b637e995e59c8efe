"""`make audit` (tools/audit.py): the pins checked offline against the dated PyPA advisory copy
in ../shared. Known true positive: requests 2.30.0 is in PYSEC-2023-74, fixed in 2.31.0."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from odc_pipeline.settings import PROJECT_ROOT
from tools.audit import (
    DATABASE,
    AuditError,
    Pin,
    check_offline,
    check_pin,
    live_verdict,
    read_pins,
)


def constraints(tmp_path: Path, *pins: str) -> Path:
    path = tmp_path / "constraints.txt"
    path.write_text("# planted\n" + "".join(f"{pin}\n" for pin in pins), encoding="utf-8")
    return path


def audit(*arguments: str) -> subprocess.CompletedProcess:
    """`python -m tools.audit --offline ARGUMENTS`, as `make audit` runs it."""
    return subprocess.run(
        [sys.executable, "-m", "tools.audit", "--offline", *arguments],
        cwd=PROJECT_ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )


@pytest.mark.slow
def test_a_vulnerable_pin_fails_naming_the_advisory_and_the_fix(tmp_path):
    planted = constraints(tmp_path, "requests==2.30.0", "click==8.1.8")
    completed = audit("--constraints", str(planted))
    assert completed.returncode == 1, completed.stdout + completed.stderr
    assert "offline" in completed.stdout
    finding = next(line for line in completed.stdout.splitlines() if "PYSEC-2023-74" in line)
    assert "requests==2.30.0" in finding
    assert "CVE-2023-32681" in finding
    assert "upgrade to 2.31.0" in finding


@pytest.mark.slow
def test_a_missing_database_is_a_message_not_a_traceback(tmp_path):
    completed = audit("--database", str(tmp_path / "nowhere"))
    assert completed.returncode == 2
    assert "no advisory database at" in completed.stderr
    assert "Traceback" not in completed.stderr


def test_the_projects_own_pins_pass_offline():
    # Every pin checked: a line that is not name==version would stop the audit (AuditError).
    pins = read_pins(PROJECT_ROOT / "constraints.txt")
    assert any(pin.name == "requests" for pin in pins)
    # Apart from what a maintainer reviewed and recorded with the reason (make audit says so).
    from tools.audit import REVIEWED, reviewed, set_aside

    left, _ = set_aside(check_offline(pins, DATABASE), reviewed(REVIEWED))
    assert [finding.describe() for finding in left] == []


def test_a_pin_past_the_fix_is_clean(tmp_path):
    # 2.32.4 rather than 2.32.3: the copy predates CVE-2024-47081, which 2.32.4 fixed.
    assert check_offline(read_pins(constraints(tmp_path, "requests==2.32.4")), DATABASE) == []
    assert check_offline(read_pins(constraints(tmp_path, "Requests==2.31.0")), DATABASE) == []


def test_ranges_decide_with_pep_440_not_string_order():
    record = {
        "id": "TEST-1",
        "affected": [
            {
                "package": {"ecosystem": "PyPI", "name": "Some_Package"},
                "ranges": [
                    {
                        "type": "ECOSYSTEM",
                        "events": [
                            {"introduced": "1.2"},
                            {"fixed": "1.10"},
                            {"introduced": "2.0"},
                            {"last_affected": "2.1"},
                        ],
                    }
                ],
                "versions": ["0.5"],
            }
        ],
    }

    def advisories(version: str) -> list[tuple[str, tuple[str, ...]]]:
        return [(f.advisory, f.fixed) for f in check_pin(Pin("some-package", version, 1), [record])]

    assert advisories("1.9") == [("TEST-1", ("1.10",))]
    assert advisories("1.10") == []
    assert advisories("0.5") == [("TEST-1", ("1.10",))]  # in `versions`, before every range
    assert advisories("2.1") == [("TEST-1", ())]  # no fix after it
    assert advisories("2.1.1") == []
    assert check_pin(Pin("some-package", "1.9", 1), [{**record, "withdrawn": "2024-01-01"}]) == []


def test_a_line_that_is_not_a_pin_stops_the_audit(tmp_path):
    with pytest.raises(AuditError, match=r"line 3: 'requests>=2\.31' is not an exact pin"):
        read_pins(constraints(tmp_path, "click==8.1.8", "requests>=2.31"))


def test_pip_audit_skipping_pins_is_no_verdict():
    # What pip-audit 2.10 prints when PyPI cannot be asked, with exit 0 and "No known
    # vulnerabilities found" on stderr: the audit falls back to the offline copy instead.
    pins = [Pin("requests", "2.30.0", 1), Pin("click", "8.1.8", 2)]
    skipped = "Dependency not found on PyPI and could not be audited: requests (2.30.0)"
    report = {"dependencies": [{"name": "requests", "skip_reason": skipped}], "fixes": []}
    findings, why = live_verdict(report, pins)
    assert findings is None
    assert "could not audit 1 of 1 pins" in why
    vulnerable = {
        "name": "requests",
        "version": "2.30.0",
        "vulns": [
            {"id": "PYSEC-2023-74", "fix_versions": ["2.31.0"], "aliases": ["CVE-2023-32681"]}
        ],
    }
    assert live_verdict({"dependencies": [vulnerable]}, pins)[0] is None  # click left out
    clean = {"name": "click", "version": "8.1.8", "vulns": []}
    findings, _ = live_verdict({"dependencies": [vulnerable, clean]}, pins)
    assert [f.describe() for f in findings] == [
        "requests==2.30.0: PYSEC-2023-74 (CVE-2023-32681): upgrade to 2.31.0"
    ]


def test_a_reviewed_advisory_is_told_and_holds_for_its_one_version(tmp_path):
    from tools.audit import REVIEWED, reviewed, set_aside

    accepted = reviewed(REVIEWED)
    reviewed_pin = check_offline([Pin("datasette", "0.65.5", 1)], DATABASE)
    other_pin = check_offline([Pin("datasette", "0.64.0", 1)], DATABASE)
    assert any(f.advisory == "PYSEC-2023-154" for f in reviewed_pin)
    left, told = set_aside(reviewed_pin, accepted)
    assert all(f.advisory != "PYSEC-2023-154" for f in left)
    assert told and "reviewed, does not apply: datasette==0.65.5: PYSEC-2023-154" in told[0]
    assert "1.0a4" in told[0]
    # Another version of the package is not covered by the review.
    left, told = set_aside(other_pin, accepted)
    assert any(f.advisory == "PYSEC-2023-154" for f in left) and not told
    broken = tmp_path / "reviewed.yaml"
    broken.write_text("- package: datasette\n", encoding="utf-8")
    with pytest.raises(AuditError, match="needs package, version, advisory and reason"):
        reviewed(broken)
