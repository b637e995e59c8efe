"""Load `sources.yaml` and turn every problem into a message a data steward can act on."""

from __future__ import annotations

import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from odc_pipeline.registry.model import SAFE_ID, BrokenSource, Registry, SourceEntry
from odc_pipeline.registry.safety import allowed_hosts, allowed_roots, host_problem, path_problem
from odc_pipeline.registry.strict_yaml import DuplicateKeys, YamlSyntaxError, load_strict
from odc_pipeline.settings import named_by_registry


class RegistryError(ValueError):
    """The registry cannot be used; `problems` lists every reason, one line each."""

    def __init__(self, path: Path, problems: list[str]) -> None:
        self.path = path
        self.problems = problems
        lines = "\n".join(f"  - {problem}" for problem in problems)
        super().__init__(f"{path}: the source registry has {len(problems)} problem(s):\n{lines}")


def _entry_label(raw_sources: list[Any], index: int) -> str:
    entry = raw_sources[index] if index < len(raw_sources) else None
    source_id = entry.get("id") if isinstance(entry, dict) else None
    return f"source #{index + 1}" + (f" ({source_id!r})" if source_id else "")


def _describe(error: dict[str, Any], raw: dict[str, Any]) -> str:
    """One pydantic error in steward's words: which entry, which field, what was wrong."""
    location = list(error["loc"])
    where = ""
    if location[:1] == ["sources"] and len(location) > 1 and isinstance(location[1], int):
        where = _entry_label(raw.get("sources") or [], location[1]) + ": "
        location = location[2:]
    field = ".".join(str(part) for part in location)
    message = error["msg"].removeprefix("Value error, ")
    if error["type"] == "extra_forbidden":
        message = "unknown key (check its spelling)"
    elif error["type"] == "missing":
        message = "is required but missing"
    elif error["type"] == "literal_error":
        allowed = message.removeprefix("Input should be ")
        message = f"{error.get('input')!r} is not allowed; write {allowed}"
    elif error["type"] == "string_pattern_mismatch":
        message = (
            f"{error.get('input')!r} is not a valid id: use lowercase letters, digits and '_', "
            "starting with a letter"
        )
    else:
        message = _plain(error["type"], error.get("ctx") or {}, error.get("input"), message)
    return f"{where}{field + ': ' if field else ''}{message}"


#: pydantic's error types in a steward's words ({input} is what the registry says).
_PLAIN_TYPES = {
    "int_parsing": "{input!r} must be a whole number",
    "int_type": "{input!r} must be a whole number",
    "int_from_float": "{input!r} must be a whole number",
    "float_parsing": "{input!r} must be a number",
    "float_type": "{input!r} must be a number",
    "bool_parsing": "{input!r} must be true or false",
    "bool_type": "{input!r} must be true or false",
    "string_type": "must be text (put it in quotes)",
    "dict_type": "must be a mapping: one 'key: value' per line, indented below it",
    "model_type": "must be a mapping: one 'key: value' per line, indented below it",
    "model_attributes_type": "must be a mapping: one 'key: value' per line, indented below it",
    "list_type": "must be a list: one '- item' per line, indented below it",
    "string_too_short": "must not be empty",
    "too_short": "needs at least {min_length}",
    "greater_than": "{input!r} must be more than {gt}",
    "greater_than_equal": "{input!r} must be {ge} or more",
    "less_than": "{input!r} must be less than {lt}",
    "less_than_equal": "{input!r} must be {le} or less",
}


def _plain(kind: str, context: dict[str, Any], given: Any, fallback: str) -> str:
    """pydantic's message for error type `kind`, in the registry's words."""
    template = _PLAIN_TYPES.get(kind)
    if template is not None:
        try:
            return template.format(input=given, **context)
        except (KeyError, IndexError):
            pass
    # Anything else: pydantic's sentence without its "Input should be".
    return re.sub(r"^Input should be", "must be", fallback)


def _entry_problems(raw_sources: list[Any], raw: dict[str, Any]) -> dict[int, list[str]]:
    """Each entry checked on its own, so that one bad entry holds back that source alone:
    the problems of every entry that does not validate, by its position."""
    problems: dict[int, list[str]] = {}
    for index, item in enumerate(raw_sources):
        if not isinstance(item, dict):
            problems[index] = [
                f"{_entry_label(raw_sources, index)}: expected an entry with keys such as id, "
                "kind and location (check the indentation and the '-' that starts it)"
            ]
            continue
        if "part_of" in item:
            problems[index] = [
                f"{_entry_label(raw_sources, index)}: part_of is not written in the registry "
                "(the pipeline sets it for each province of an entry with provinces); remove it"
            ]
            continue
        try:
            SourceEntry.model_validate(item)
        except ValidationError as exc:
            problems[index] = [
                _describe({**e, "loc": ("sources", index, *e["loc"])}, raw) for e in exc.errors()
            ]
    return problems


def entry_problems(document: dict[str, Any], label: str = "the entry") -> list[str]:
    """One entry's problems in a steward's words (never pydantic's), or none."""
    try:
        SourceEntry.model_validate(document)
    except ValidationError as exc:
        return [f"{label}: {_describe({**e, 'loc': tuple(e['loc'])}, {})}" for e in exc.errors()]
    return []


def _cross_checks(
    registry: Registry, positions: list[int], check_files: bool
) -> dict[int, list[str]]:
    """Rules that span entries or touch the disk, which pydantic cannot see one entry at a
    time: the problems by the entry's position among `registry.sources` (`positions` holds
    each one's place in the file). Of two entries with one id, the later one is the problem."""
    problems: dict[int, list[str]] = {}
    first_of: dict[str, int] = {}
    for index, entry in enumerate(registry.sources):
        label = f"source #{positions[index] + 1} ({entry.id!r})"
        found: list[str] = []
        if entry.id in first_of:
            found.append(f"{label}: the id is already used by an entry above; ids must be unique")
        first_of.setdefault(entry.id, index)
        if entry.organization not in registry.organizations:
            found.append(
                f"{label}: organization {entry.organization!r} is not listed under 'organizations'"
            )
        if entry.pull.ckan_resource and not entry.is_url:
            found.append(f"{label}: pull.ckan_resource needs an http(s) package_show URL")
        for located in entry.located_entries():
            found += _location_problems(located, registry, label, check_files)
        if found:
            problems[index] = found
    return problems


def _location_problems(
    entry: SourceEntry, registry: Registry, label: str, check_files: bool
) -> list[str]:
    """Why one file's location may not be used (each year's, for a source with years)."""
    if entry.is_url:
        problem = host_problem(entry.location, allowed_hosts())
    else:
        problem = path_problem(entry.location, registry.base_dir, allowed_roots(registry.base_dir))
    if problem:
        return [f"{label}: location: {problem}"]
    if check_files and not entry.is_url:
        path = entry.location_path(registry.base_dir)
        if not path.is_file() and not path.is_dir():
            return [f"{label}: location: file or folder not found: {path}"]
    return []


def data_folder(
    registry_path: Path, variable: str, default: str, environ: Mapping[str, str] | None = None
) -> Path:
    """The folder a registry's locations are read from: the environment variable's value, or
    the default beside the registry file."""
    value = named_by_registry(variable, environ)
    return Path(value).resolve() if value else (registry_path.resolve().parent / default).resolve()


def load_registry(path: Path, *, check_files: bool = True, keep_broken: bool = False) -> Registry:
    """Read and check the registry at `path`.

    `check_files=False` skips the existence check for locations, so that the Dagster code
    location still loads when one member's file is missing: that source then fails alone.
    `keep_broken=True` sets aside the entries that cannot be used (in `Registry.broken`, with
    their problems) instead of refusing the whole registry: one steward's typo must not stop
    every other member's night. Problems of the document itself (YAML syntax, organisations,
    data_folder) still refuse it: no entry can be trusted then.
    """
    path = Path(path)
    try:
        raw = load_strict(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise RegistryError(path, ["the registry file does not exist"]) from None
    except YamlSyntaxError as exc:
        raise RegistryError(path, [f"not valid YAML at {exc}"]) from None
    except DuplicateKeys as exc:
        raise RegistryError(path, exc.problems) from None
    if not isinstance(raw, dict) or not isinstance(raw.get("sources"), list):
        raise RegistryError(path, ["expected a mapping with 'organizations' and a list 'sources'"])
    # Top-level keys starting with "x-" only hold YAML anchors that entries reuse (`<<: *name`).
    raw = {key: value for key, value in raw.items() if not str(key).startswith("x-")}
    if "broken" in raw or "base_dir" in raw:
        raise RegistryError(path, ["unknown top-level key 'broken' or 'base_dir'"])
    raw_sources: list[Any] = raw["sources"]
    problems = _entry_problems(raw_sources, raw)
    good = [item for index, item in enumerate(raw_sources) if index not in problems]
    try:
        registry = Registry.model_validate(
            {**raw, "sources": good, "base_dir": path.resolve().parent}
        )
    except ValidationError as exc:
        raise RegistryError(path, [_describe(e, raw) for e in exc.errors()]) from None
    if registry.data_folder is not None:
        registry = registry.model_copy(
            update={
                "base_dir": data_folder(
                    path, registry.data_folder.variable, registry.data_folder.default
                )
            }
        )
        if check_files and not registry.base_dir.is_dir():
            raise RegistryError(
                path,
                [
                    f"data_folder: the folder {registry.base_dir} does not exist; set "
                    f"{registry.data_folder.variable} to where the files are"
                ],
            )
    # An entry split by province is a source per province from here on, each with the
    # entry's position in the file (for the steward's messages).
    checked_alone = [index for index in range(len(raw_sources)) if index not in problems]
    placed = [
        (part, at)
        for entry, at in zip(registry.sources, checked_alone, strict=True)
        for part in entry.parts()
    ]
    registry = registry.model_copy(update={"sources": [part for part, _ in placed]})
    positions = [at for _, at in placed]
    for position, found in _cross_checks(registry, positions, check_files).items():
        problems[positions[position]] = found
    if not problems:
        return registry
    if not keep_broken:
        raise RegistryError(path, [line for index in sorted(problems) for line in problems[index]])
    return _without_broken(registry, raw_sources, problems, positions)


def _without_broken(
    registry: Registry,
    raw_sources: list[Any],
    problems: dict[int, list[str]],
    positions: list[int],
) -> Registry:
    """The registry with its usable entries only, and the others described in `broken`."""
    usable = [e for e, at in zip(registry.sources, positions, strict=True) if at not in problems]
    taken = {entry.id for entry in usable}
    broken = []
    for index in sorted(problems):
        item = raw_sources[index] if isinstance(raw_sources[index], dict) else {}
        source_id, organization = item.get("id"), item.get("organization")
        usable_id = (
            isinstance(source_id, str)
            and re.match(SAFE_ID, source_id) is not None
            and source_id not in taken
        )
        if usable_id:
            taken.add(source_id)
        broken.append(
            BrokenSource(
                label=_entry_label(raw_sources, index),
                source_id=source_id if usable_id else None,
                organization=organization if organization in registry.organizations else None,
                problems=problems[index],
            )
        )
    return registry.model_copy(update={"sources": usable, "broken": broken})
