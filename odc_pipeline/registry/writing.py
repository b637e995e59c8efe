"""Adding an entry (and its organisation) to the registry file without touching the rest.

The registry is a file stewards edit by hand, with comments and anchors: it is never
re-dumped. The new entry is appended under `sources:`, a new organisation inserted under
`organizations:`, and the result checked in a scratch copy beside the real one (so locations
resolve the same) before the real file is replaced.
"""

from __future__ import annotations

import os
import re
import tempfile
from pathlib import Path

import yaml

from odc_pipeline.registry.loader import RegistryError, load_registry


class RegistryWriteError(ValueError):
    """The entry cannot be added; `problems` says why, one line each."""

    def __init__(self, problems: list[str]) -> None:
        self.problems = problems
        super().__init__("; ".join(problems))


def _block(entry: dict) -> str:
    dumped = yaml.safe_dump([entry], sort_keys=False, allow_unicode=True)
    return "\n" + "\n".join(("  " + line) if line else line for line in dumped.splitlines()) + "\n"


def with_entry(text: str, entry: dict, organization: tuple[str, str] | None = None) -> str:
    """`text` (the registry) with `entry` appended and, if given, the organisation
    (id, name) added under `organizations:`."""
    if organization is not None:
        organization_id, name = organization
        lines = text.splitlines(keepends=True)
        at = next(
            (i for i, line in enumerate(lines) if re.match(r"organizations:\s*$", line)), None
        )
        if at is None:
            raise RegistryWriteError(
                [
                    "the registry's 'organizations:' is not written one per line, so the new "
                    f"organisation cannot be added there; add '{organization_id}' with its name "
                    "by hand"
                ]
            )
        added = yaml.safe_dump({organization_id: {"name": name}}, allow_unicode=True)
        lines[at + 1 : at + 1] = ["  " + line + "\n" for line in added.splitlines()]
        text = "".join(lines)
    # An empty list written inline (`sources: []`) becomes the block the entry goes under.
    text = re.sub(r"(?m)^sources:\s*\[\s*\]\s*$", "sources:", text)
    return text.rstrip("\n") + "\n" + _block(entry)


def add_entry(path: Path, entry: dict, organization: tuple[str, str] | None = None) -> None:
    """Write `entry` into the registry at `path` if the registry is then usable with it:
    its own problems (only the new entry's: another's holds back that source alone) raise
    RegistryWriteError, and the file is left as it was."""
    candidate = with_entry(path.read_text(encoding="utf-8"), entry, organization)
    with tempfile.NamedTemporaryFile(
        "w", dir=path.parent, suffix=".yaml", delete=False, encoding="utf-8"
    ) as scratch:
        scratch.write(candidate)
    try:
        checked = load_registry(Path(scratch.name), check_files=False, keep_broken=True)
        position = len(checked.sources) + len(checked.broken)
        new = [b for b in checked.broken if b.label.split(" (")[0] == f"source #{position}"]
        if new:
            raise RegistryWriteError(new[0].problems)
        os.replace(scratch.name, path)
    except RegistryError as error:
        raise RegistryWriteError(error.problems) from None
    finally:
        Path(scratch.name).unlink(missing_ok=True)
