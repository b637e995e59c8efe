"""Adding an entry (and its organisation) to the registry file without touching the rest.

The registry is a file stewards edit by hand, with comments and anchors: it is never
re-dumped. The new entry is appended under `sources:` (or written over the lines of the entry
it replaces, the comments around it kept), a new organisation inserted under
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


def _block(entry: dict, indent: int = 2) -> str:
    dumped = yaml.safe_dump([entry], sort_keys=False, allow_unicode=True)
    pad = " " * indent
    return "\n" + "\n".join((pad + line) if line else line for line in dumped.splitlines()) + "\n"


def _entry_lines(text: str, source_id: str) -> tuple[int, int, int, int]:
    """Where the entry with `source_id` stands under `sources:`: its first line, the line
    after its last written one (comments and blank lines after it stay), the column of its
    `-`, and its position (1 for the first entry)."""
    root = yaml.compose(text)
    items = next(
        (
            value.value
            for key, value in getattr(root, "value", [])
            if key.value == "sources" and isinstance(value, yaml.SequenceNode)
        ),
        [],
    )
    lines = text.splitlines()
    for position, item in enumerate(items, start=1):
        fields = {key.value: value for key, value in getattr(item, "value", [])}
        if getattr(fields.get("id"), "value", None) != source_id:
            continue
        first = item.start_mark.line
        dash = lines[first].find("-")
        # The entry ends where the next token begins: at the start of the following line
        # (block style) or after its last character (flow style, `- {id: …}`).
        end = item.end_mark
        ends_inside = end.line < len(lines) and lines[end.line][: end.column].strip()
        after = end.line + (1 if ends_inside else 0)
        while after > first + 1 and (
            not lines[after - 1].strip() or lines[after - 1].lstrip().startswith("#")
        ):
            after -= 1
        return first, after, max(dash, 0), position
    raise RegistryWriteError(
        [f"there is no entry with the id '{source_id}' to replace; leave out --replace to add it"]
    )


def with_entry(
    text: str,
    entry: dict,
    organization: tuple[str, str] | None = None,
    replace: bool = False,
) -> tuple[str, int | None]:
    """`text` (the registry) with `entry` appended (or, with `replace`, in place of the
    entry of the same id) and, if given, the organisation (id, name) added under
    `organizations:`; and the position of a replaced entry (None: appended)."""
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
    if replace:
        first, after, indent, position = _entry_lines(text, entry["id"])
        lines = text.splitlines(keepends=True)
        block = _block(entry, indent).lstrip("\n")
        return "".join([*lines[:first], block, *lines[after:]]), position
    # An empty list written inline (`sources: []`) becomes the block the entry goes under.
    text = re.sub(r"(?m)^sources:\s*\[\s*\]\s*$", "sources:", text)
    return text.rstrip("\n") + "\n" + _block(entry), None


def add_entry(
    path: Path,
    entry: dict,
    organization: tuple[str, str] | None = None,
    replace: bool = False,
) -> None:
    """Write `entry` into the registry at `path` (with `replace`, over the entry of the same
    id) if the registry is then usable with it: its own problems (only the new entry's:
    another's holds back that source alone) raise RegistryWriteError, and the file is left
    as it was."""
    candidate, replaced = with_entry(path.read_text(encoding="utf-8"), entry, organization, replace)
    with tempfile.NamedTemporaryFile(
        "w", dir=path.parent, suffix=".yaml", delete=False, encoding="utf-8"
    ) as scratch:
        scratch.write(candidate)
    try:
        checked = load_registry(Path(scratch.name), check_files=False, keep_broken=True)
        position = replaced or len(checked.sources) + len(checked.broken)
        new = [b for b in checked.broken if b.label.split(" (")[0] == f"source #{position}"]
        if new:
            raise RegistryWriteError(new[0].problems)
        os.replace(scratch.name, path)
    except RegistryError as error:
        raise RegistryWriteError(error.problems) from None
    finally:
        Path(scratch.name).unlink(missing_ok=True)
