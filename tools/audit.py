"""`python -m tools.audit`: is any package pinned in constraints.txt known to be vulnerable?

`make audit` runs it. Two modes, and the output says which one ran:

- **live**: pip-audit asks PyPI about every pin. Its verdict stands only if it audited *every*
  pin. When PyPI cannot be asked, pip-audit marks each pin "skipped", prints "No known
  vulnerabilities found" and exits 0, so a skipped pin counts as the service not answering.
- **offline**: every pin is checked against a dated copy of the PyPA advisory database
  (OSV records in YAML), by default `../shared/advisories/pypa-advisory-database` beside the
  repository. It is what a machine without the live services can check, and it knows nothing
  published after the copy was taken.

Exit status: 0 nothing affected, 1 at least one pin affected (each one named with the advisory
and the version that fixes it), 2 the audit could not run (no database, a line that is not a pin).
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import re
import subprocess
import sys
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

import yaml
from packaging.requirements import InvalidRequirement, Requirement
from packaging.utils import canonicalize_name
from packaging.version import InvalidVersion, Version

REPO_ROOT = Path(__file__).resolve().parents[1]
CONSTRAINTS = REPO_ROOT / "constraints.txt"
#: Advisories read and found not to apply to one pinned version, each with the reason.
REVIEWED = Path(__file__).resolve().parent / "reviewed_advisories.yaml"
DATABASE = REPO_ROOT.parent / "shared" / "advisories" / "pypa-advisory-database"
#: Seconds the live audit may take before the offline check is used instead.
LIVE_TIMEOUT = 180

# Every scalar as a string: YAML 1.1 would read an unquoted version such as 1.10 as the float 1.1.
_LOADER = getattr(yaml, "CBaseLoader", yaml.BaseLoader)
_DATE = re.compile(r"\b\d{4}-\d{2}-\d{2}\b")
# The event kinds of an OSV range, in the order they apply at one version.
_EVENT_ORDER = {"introduced": 0, "last_affected": 1, "fixed": 2}


class AuditError(Exception):
    """The audit could not run; the message says what is missing and what to do."""


@dataclass(frozen=True)
class Pin:
    """One `name==version` line; the line number is for the messages."""

    name: str
    version: str
    line: int


@dataclass(frozen=True)
class Finding:
    """One pin that an advisory affects."""

    package: str
    version: str
    advisory: str
    aliases: tuple[str, ...]
    fixed: tuple[str, ...]

    def describe(self) -> str:
        """One line a maintainer can act on: what, which advisory, what to upgrade to."""
        aliases = f" ({', '.join(self.aliases)})" if self.aliases else ""
        fix = f"upgrade to {' or '.join(self.fixed)}" if self.fixed else "no fixed version known"
        return f"{self.package}=={self.version}: {self.advisory}{aliases}: {fix}"


def read_pins(constraints: Path) -> list[Pin]:
    """Every `name==version` line of a constraints file; anything else (bar comments and blank
    lines) is an error, because a line the audit cannot read is a package it would not check."""
    try:
        lines = constraints.read_text(encoding="utf-8").splitlines()
    except OSError as error:
        raise AuditError(f"cannot read the constraints file {constraints}: {error}") from None
    pins = []
    for number, raw in enumerate(lines, start=1):
        line = raw.split(" #", 1)[0].strip()
        if not line or line.startswith("#"):
            continue
        try:
            requirement = Requirement(line)
        except InvalidRequirement:
            requirement = None
        specifiers = list(requirement.specifier) if requirement else []
        if (
            len(specifiers) != 1
            or specifiers[0].operator not in ("==", "===")
            or "*" in specifiers[0].version
        ):
            raise AuditError(
                f"{constraints}, line {number}: {raw.strip()!r} is not an exact pin "
                "(expected name==version)"
            )
        pins.append(Pin(requirement.name, specifiers[0].version, number))
    return pins


def _version(text: str) -> Version | None:
    try:
        return Version(text)
    except InvalidVersion:
        return None


def _in_range(version: Version, events: Iterable[dict]) -> bool:
    """Whether `version` lies in an OSV ECOSYSTEM range: the last event at or below it decides
    (`introduced` opens, `fixed` closes before, `last_affected` closes after). Events whose
    version PEP 440 cannot read are left out; "0" is before every version."""
    points = []
    for event in events:
        for kind, raw in event.items():
            if kind not in _EVENT_ORDER:
                continue  # `limit` bounds a GIT range only
            bound = None if kind == "introduced" and raw == "0" else _version(raw)
            if bound is None and raw != "0":
                continue
            points.append((bound, kind))
    points.sort(key=lambda p: (p[0] is not None, p[0] or Version("0"), _EVENT_ORDER[p[1]]))
    affected = False
    for bound, kind in points:
        if kind == "introduced" and (bound is None or version >= bound):
            affected = True
        elif (kind == "fixed" and version >= bound) or (
            kind == "last_affected" and version > bound
        ):
            affected = False
    return affected


def _affected_entries(record: dict, name: str) -> list[dict]:
    return [
        entry
        for entry in record.get("affected") or []
        if (entry.get("package") or {}).get("ecosystem") == "PyPI"
        and canonicalize_name((entry.get("package") or {}).get("name", "")) == name
    ]


def _affects(entries: list[dict], version: Version) -> bool:
    """OSV's rule: affected if listed in `versions` or inside any ECOSYSTEM range. Versions
    compare as PEP 440 versions, so the pin 2.30 matches a listed 2.30.0."""
    for entry in entries:
        if any(_version(listed) == version for listed in entry.get("versions") or []):
            return True
        for version_range in entry.get("ranges") or []:
            ecosystem = version_range.get("type") in ("ECOSYSTEM", "SEMVER")
            if ecosystem and _in_range(version, version_range.get("events") or []):
                return True
    return False


def _fixed_versions(entries: list[dict], version: Version) -> tuple[str, ...]:
    """The lowest version after the pin that a range names as fixed and that is itself clear of
    this advisory: the smallest upgrade that resolves it."""
    candidates = {
        fixed
        for entry in entries
        for version_range in entry.get("ranges") or []
        if version_range.get("type") in ("ECOSYSTEM", "SEMVER")
        for event in version_range.get("events") or []
        if (fixed := event.get("fixed")) and (parsed := _version(fixed)) and parsed > version
    }
    for fixed in sorted(candidates, key=Version):
        if not _affects(entries, Version(fixed)):
            return (fixed,)
    return ()


def check_pin(pin: Pin, records: Iterable[dict]) -> list[Finding]:
    """The advisories among `records` (OSV, as loaded from YAML) that affect `pin`."""
    version = _version(pin.version)
    if version is None:
        raise AuditError(f"line {pin.line}: {pin.name}=={pin.version} is not a PEP 440 version")
    name = canonicalize_name(pin.name)
    findings = []
    for record in records:
        if record.get("withdrawn"):
            continue
        entries = _affected_entries(record, name)
        if entries and _affects(entries, version):
            findings.append(
                Finding(
                    package=pin.name,
                    version=pin.version,
                    advisory=record["id"],
                    aliases=tuple(record.get("aliases") or ()),
                    fixed=_fixed_versions(entries, version),
                )
            )
    return findings


def check_offline(pins: Sequence[Pin], database: Path) -> list[Finding]:
    """Every pin against the OSV records of the advisory database (`database/vulns/<name>/`)."""
    vulns = database / "vulns"
    if not vulns.is_dir():
        raise AuditError(
            f"no advisory database at {database} (expected a vulns/ folder of OSV records). "
            "Put a copy of the PyPA advisory database there, or pass --database PATH."
        )
    # Folder names are not all normalised (e.g. `jw.util`), so match them as PEP 503 names.
    folders = {canonicalize_name(folder.name): folder for folder in vulns.iterdir()}
    findings = []
    for pin in pins:
        folder = folders.get(canonicalize_name(pin.name))
        if folder is None:
            continue
        findings.extend(check_pin(pin, [_load(path) for path in sorted(folder.glob("*.yaml"))]))
    return findings


def _load(path: Path) -> dict:
    try:
        record = yaml.load(path.read_text("utf-8"), Loader=_LOADER)
    except (OSError, UnicodeDecodeError, yaml.YAMLError) as error:
        raise AuditError(f"{path}: not a readable OSV record: {error}") from None
    if not isinstance(record, dict) or "id" not in record:
        raise AuditError(f"{path}: not an OSV record (no `id`)")
    return record


def database_date(database: Path) -> str:
    """The date of the copy, as its README (or the one of the folder above) states it."""
    for readme in (database.parent / "README.md", database / "README.md"):
        if readme.is_file() and (match := _DATE.search(readme.read_text("utf-8"))):
            return match.group()
    return "unknown date"


def check_live(
    constraints: Path, pins: Sequence[Pin], timeout: float
) -> tuple[list[Finding] | None, str]:
    """pip-audit's findings for every pin, or None and why the live services could not be used."""
    if importlib.util.find_spec("pip_audit") is None:
        return None, "pip-audit is not installed"
    command = [
        *(sys.executable, "-m", "pip_audit", "--requirement", str(constraints)),
        *("--no-deps", "--disable-pip", "--format", "json", "--aliases", "on", "--desc", "off"),
        *("--progress-spinner", "off", "--timeout", "15"),
    ]
    try:
        completed = subprocess.run(command, capture_output=True, text=True, timeout=timeout)
    except subprocess.TimeoutExpired:
        return None, f"pip-audit did not finish within {timeout:g} s"
    try:
        report = json.loads(completed.stdout)
    except json.JSONDecodeError:
        # pip-audit exits 1 both for "vulnerable" and for a crash, so only its report tells.
        last = (completed.stderr.strip().splitlines() or ["no output"])[-1]
        return None, f"pip-audit failed (exit {completed.returncode}): {last}"
    return live_verdict(report, pins)


def live_verdict(report: dict, pins: Sequence[Pin]) -> tuple[list[Finding] | None, str]:
    """The findings of pip-audit's JSON report, or None and why, if it left any pin unaudited."""
    dependencies = report.get("dependencies", [])
    skipped = [d for d in dependencies if d.get("skip_reason")]
    if skipped:
        return None, (
            f"pip-audit could not audit {len(skipped)} of {len(dependencies)} pins; "
            f"the first: {skipped[0]['skip_reason']}"
        )
    audited = {canonicalize_name(d["name"]) for d in dependencies}
    missing = sorted({canonicalize_name(p.name) for p in pins} - audited)
    if missing:
        return None, f"pip-audit's report leaves out {len(missing)} pins, e.g. {missing[0]}"
    findings = [
        Finding(
            package=dependency["name"],
            version=dependency["version"],
            advisory=vuln["id"],
            aliases=tuple(vuln.get("aliases", ())),
            fixed=tuple(vuln.get("fix_versions", ())),
        )
        for dependency in dependencies
        for vuln in dependency.get("vulns", [])
    ]
    return findings, f"{len(dependencies)} pins, pip-audit against PyPI"


def reviewed(path: Path) -> dict[tuple[str, str, str], str]:
    """(package, version, advisory) -> why it does not apply, from the reviewed file."""
    if not path.is_file():
        return {}
    entries = yaml.load(path.read_text("utf-8"), Loader=_LOADER) or []
    try:
        return {
            (canonicalize_name(e["package"]), e["version"], e["advisory"]): " ".join(
                e["reason"].split()
            )
            for e in entries
        }
    except (KeyError, TypeError, AttributeError):
        raise AuditError(
            f"{path}: each entry needs package, version, advisory and reason"
        ) from None


def set_aside(
    findings: list[Finding], accepted: dict[tuple[str, str, str], str]
) -> tuple[list[Finding], list[str]]:
    """The findings no review covers, and a line for each one a review set aside."""
    left, told = [], []
    for finding in findings:
        names = (finding.advisory, *finding.aliases)
        key = next(
            (
                k
                for k in ((canonicalize_name(finding.package), finding.version, n) for n in names)
                if k in accepted
            ),
            None,
        )
        if key is None:
            left.append(finding)
        else:
            told.append(f"  reviewed, does not apply: {finding.describe()}: {accepted[key]}")
    return left, told


def _report(mode: str, findings: list[Finding], checked: str, constraints: Path) -> int:
    findings, told = set_aside(findings, reviewed(REVIEWED))
    for line in told:
        print(line)
    for finding in findings:
        print(f"  {finding.describe()}")
    if findings:
        packages = len({f.package for f in findings})
        print(
            f"{mode}: {packages} pinned package(s) affected by {len(findings)} advisory(ies) "
            f"({checked}). Raise each pin in {constraints.name} to the version named (and the "
            "lower bound in pyproject.toml if it is a direct dependency), then run make test."
        )
        return 1
    print(f"{mode}: no known vulnerability ({checked})")
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m tools.audit", description=__doc__.split("\n")[0]
    )
    parser.add_argument(
        "--constraints", type=Path, default=CONSTRAINTS, help="default: %(default)s"
    )
    parser.add_argument(
        "--database", type=Path, default=DATABASE, help="offline copy; default: %(default)s"
    )
    parser.add_argument(
        "--offline", action="store_true", help="skip pip-audit, check the copy only"
    )
    parser.add_argument("--timeout", type=float, default=LIVE_TIMEOUT, help="seconds for pip-audit")
    options = parser.parse_args(argv)
    try:
        pins = read_pins(options.constraints)
        if not options.offline:
            findings, how = check_live(options.constraints, pins, options.timeout)
            if findings is not None:
                return _report("live", findings, how, options.constraints)
            print(f"live: not available: {how}")
            print("live: checking offline instead")
        findings = check_offline(pins, options.database)
    except AuditError as error:
        print(f"audit: {error}", file=sys.stderr)
        return 2
    checked = (
        f"{len(pins)} pins against the PyPA advisory database of {database_date(options.database)}"
    )
    return _report("offline", findings, checked, options.constraints)


if __name__ == "__main__":
    sys.exit(main())
