"""Load `sources.yaml` and turn every problem into a message a data steward can act on."""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from odc_pipeline.registry.model import Registry, SourceEntry
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
        message = f"{error.get('input')!r} is not allowed; {message[0].lower()}{message[1:]}"
    elif error["type"] == "string_pattern_mismatch":
        message = (
            f"{error.get('input')!r} is not a valid id: use lowercase letters, digits and '_', "
            "starting with a letter"
        )
    return f"{where}{field + ': ' if field else ''}{message}"


def _cross_checks(registry: Registry, check_files: bool) -> list[str]:
    """Rules that span entries or touch the disk, which pydantic cannot see one entry at a time."""
    problems: list[str] = []
    counts = Counter(entry.id for entry in registry.sources)
    for source_id, count in counts.items():
        if count > 1:
            problems.append(
                f"duplicate source id {source_id!r} ({count} entries); ids must be unique"
            )
    for index, entry in enumerate(registry.sources, start=1):
        label = f"source #{index} ({entry.id!r})"
        if entry.organization not in registry.organizations:
            problems.append(
                f"{label}: organization {entry.organization!r} is not listed under 'organizations'"
            )
        if entry.pull.ckan_resource and not entry.is_url:
            problems.append(f"{label}: pull.ckan_resource needs an http(s) package_show URL")
        for located in entry.located_entries():
            problems += _location_problems(located, registry, label, check_files)
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


def load_registry(path: Path, *, check_files: bool = True) -> Registry:
    """Read and check the registry at `path`.

    `check_files=False` skips the existence check for locations, so that the Dagster code
    location still loads when one member's file is missing: that source then fails alone.
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
    try:
        registry = Registry.model_validate({**raw, "base_dir": path.resolve().parent})
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
    problems = _cross_checks(registry, check_files)
    if problems:
        raise RegistryError(path, problems)
    return registry
