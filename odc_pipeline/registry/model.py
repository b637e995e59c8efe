"""Typed shape of `data/sources.yaml`.

Unknown keys are refused (`extra="forbid"`) so a typo such as `sharing_levle` fails loudly
instead of silently falling back to a default that could publish private data.
"""

from __future__ import annotations

import re
import unicodedata
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from odc_pipeline.kinds import KINDS
from odc_pipeline.regions.resolve import Spec

#: Administrative levels by name, as the registry writes them, and their depth.
LEVELS: dict[str, int] = {"provinsi": 1, "kabupaten_kota": 2, "kecamatan": 3, "desa": 4}

CodeSystem = Literal["kemendagri", "bps", "name"]
SharingLevel = Literal["public", "members", "private"]
FileFormat = Literal["csv", "xlsx", "xls", "json", "jsonl"]

#: Where a partitioned source's location names the year of each file.
YEAR_FIELD = "{year}"
FIRST_YEAR, LAST_YEAR = 1955, 2100
#: Where a source split by province names each province's file (by its two-digit code).
PROVINCE_FIELD = "{province}"
#: What a province's part adds to the entry's id: `_` and the two-digit code.
PART_SUFFIX_LENGTH = 3

# Ids become Dagster asset keys, group names and SQL values: keep them to a safe alphabet.
SAFE_ID = r"^[a-z][a-z0-9_]{0,62}$"


def _listed_where_named(location: str, placeholder: str, listed: list, key: str, what: str) -> None:
    """A location naming each file by `placeholder` ({year}, {province}) needs the list of
    them under `key`, once each, and a list needs the placeholder."""
    named = placeholder in location
    if listed and not named:
        raise ValueError(
            f"{key} are given but the location has no {placeholder} to name each one's file"
        )
    if named and not listed:
        raise ValueError(f"the location has {placeholder} but no {key} are given: list {what}")
    twice = sorted({str(item) for item in listed if listed.count(item) > 1})
    if twice:
        raise ValueError(f"{key}: {', '.join(twice)} is listed twice; list each once")


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


def group_name_of(name: str) -> str:
    """`Forum Pemantau Pemilu Jawa Barat` -> `forum_pemantau_pemilu_jawa_barat`: letters and
    digits kept, accents dropped, every other run of characters one underscore."""
    plain = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode()
    return re.sub(r"[^a-z0-9]+", "_", plain.lower()).strip("_")


class Organization(_Strict):
    """A member organisation; its name, written as an identifier, names the Dagster group of
    its sources."""

    name: str = Field(min_length=1)
    website: str | None = None


class RegionColumn(_Strict):
    """A column that says where a row is: which level, and how the region is written."""

    column: str = Field(min_length=1)
    level: Literal["provinsi", "kabupaten_kota", "kecamatan", "desa"]
    system: CodeSystem
    untyped: Literal["kabupaten", "kota"] | None = Field(
        default=None,
        description="What a kabupaten/kota name without 'Kab.'/'Kota' means in this source "
        "(KPU files write regencies bare: 'BANDUNG'); unset, a bare name shared by a "
        "kabupaten and a kota goes to review.",
    )
    blank_means_parent: bool = Field(
        default=False,
        description="A row with this column empty is about the region of the column above "
        "(KPU's national file lists votes cast abroad beside the provinces). Unset, an empty "
        "region is a problem for review.",
    )

    @property
    def depth(self) -> int:
        return LEVELS[self.level]


class ReadOptions(_Strict):
    """How to read the file where the defaults do not fit."""

    sheet: str | int = 0
    header_row: int | None = Field(
        default=None,
        ge=1,
        description="1-based row of the header (XLSX); found by itself when unset.",
    )
    header_rows: Literal[1, 2] = Field(
        default=1, description="2 when the header spans two rows (merged cells above sub-columns)."
    )
    delimiter: str | None = None
    max_cell_chars: int = Field(
        default=5000,
        ge=1,
        description="Longer cells are rejected (a broken export or a pasted document).",
    )
    max_rows: int = Field(
        default=10_000_000, gt=0, description="Files with more data rows are refused whole."
    )
    max_columns: int = Field(
        default=500, gt=0, description="Files with more columns are refused whole."
    )
    max_json_depth: int = Field(
        default=32, gt=0, le=500, description="JSON nested deeper than this is refused."
    )
    encoding: str | None = None
    records_path: str | None = Field(
        default=None, description="Dotted path to the list of records inside a JSON document."
    )
    locale: Literal["id", "en"] = Field(
        default="id",
        description="How numbers are written: id = 1.234.567 and 12,5; en = 1,234,567 and 12.5.",
    )
    totals_label: str | None = Field(
        default=None,
        description="Text that marks the file's totals row (e.g. 'JUMLAH') in its first region column.",
    )
    tree: TreeOptions | None = Field(
        default=None, description="The JSON is a region with its children (see TreeOptions)."
    )
    records_keyed_by: str | None = Field(
        default=None,
        description="The JSON records are an object keyed by id (records_path points at it): "
        "the key becomes this column.",
    )
    record_fields: list[str] = Field(
        default_factory=list,
        description="Names of the positions when each record is a list ([3] or [3, 901, 902]).",
    )
    unpivot: Unpivot | None = None


class TreePart(_Strict):
    """Which documents of a tree-shaped JSON source give rows, and how their fields are named."""

    where: dict[str, str | int] = Field(
        default_factory=dict,
        description="Fields a document must have, with these values (e.g. depth: 1).",
    )
    only_children: list[str | int] | None = Field(
        default=None, description="Keep only the child rows with these keys."
    )
    document_fields: dict[str, str] = Field(
        default_factory=dict,
        description="Fields of the document itself copied onto each of its rows, and the "
        "column each becomes (e.g. name: provinsi).",
    )
    rename: dict[str, str] = Field(
        default_factory=dict,
        description="Child fields that are named differently in this part's rows (the "
        "national file's children are provinces, not kabupaten/kota).",
    )


class TreeOptions(_Strict):
    """A JSON document about one region, listing its child regions, with counts per child
    in a separate object keyed by the child's id (KawalPemilu's `c/<id>.json`)."""

    children: str = Field(default="children", description="Dotted path to the list of children.")
    child_fields: list[str] = Field(
        default_factory=list,
        description="Names of the positions when a child is written as a list "
        "([id, name, ...]); unused when children are objects.",
    )
    child_key: str = Field(min_length=1, description="The child field the counts are keyed by.")
    counts: str = Field(
        min_length=1, description="Dotted path to the object of counts, keyed by child."
    )
    counts_inside: str | None = Field(
        default=None, description="Dotted path inside each child's counts (e.g. sum)."
    )
    parts: list[TreePart] = Field(min_length=1)


class Unpivot(_Strict):
    """Columns that each hold one value of the same measure, turned into rows
    (pas1 and pas2 → one row per candidate pair)."""

    columns: dict[str, str] = Field(
        min_length=1, description="Each column, and the label its rows get (pas1: '01')."
    )
    name: str = Field(min_length=1, description="New column holding the label.")
    value: str = Field(min_length=1, description="New column holding the value.")


class PullOptions(_Strict):
    """How to fetch the file when it is not a plain local path."""

    timeout_seconds: float = Field(default=30, gt=0, le=600, description="Per connect and read.")
    retries: int = Field(default=3, ge=0, le=10, description="After the first try, with backoff.")
    max_bytes: int = Field(default=200_000_000, gt=0, description="Larger files are refused.")
    credentials_env: str | None = Field(
        default=None,
        pattern=r"^[A-Z][A-Z0-9_]{0,63}$",
        description="Name of the environment variable holding the credential (never the "
        "credential itself): a token, or user:password for basic auth.",
    )
    auth: Literal["bearer", "token", "basic"] = Field(
        default="bearer",
        description="How the credential is sent: 'Authorization: Bearer …', 'Token …' "
        "(KoboToolbox) or basic auth.",
    )
    ckan_resource: str | None = Field(
        default=None,
        description="The location is a CKAN package_show URL; pull the resource with this "
        "id, name or format.",
    )
    pattern: str | None = Field(
        default=None,
        description="The location is a drop folder; pull its newest file matching this glob "
        "(default: *.<format>).",
    )
    bundle: bool = Field(
        default=False,
        description="The location is a folder and every file matching pattern belongs to the "
        "source (one JSON document per region): they are pulled together, in name order, as one "
        "snapshot holding the list of documents.",
    )


class SourceEntry(_Strict):
    """One dataset shared by one organisation."""

    id: str = Field(pattern=SAFE_ID)
    organization: str = Field(pattern=SAFE_ID)
    kind: str
    format: FileFormat
    location: str = Field(min_length=1)
    columns: dict[str, str] = Field(min_length=1)
    constants: dict[str, str | int] = Field(default_factory=dict)
    regions: list[RegionColumn] = Field(min_length=1)
    licence: str = Field(min_length=1)
    sharing: SharingLevel
    description: str = ""
    read: ReadOptions = Field(default_factory=ReadOptions)
    pull: PullOptions = Field(default_factory=PullOptions)
    expected_refresh_hours: float = Field(
        default=36,
        gt=0,
        description="A source not pulled successfully for longer than this is flagged stale "
        "(a freshness check in the UI).",
    )
    personal: list[str] = Field(
        default_factory=list,
        description="Further columns of this source that hold personal data (e.g. report_id "
        "when it is a reporter's ID number): replaced by a salted hash, or dropped without a "
        "salt, before any shared table.",
    )
    years: list[int] = Field(
        default_factory=list,
        description="One file per election year, each a partition in Dagster: `{year}` in the "
        "location names the file of a year, and the year fills the `year` column unless a "
        "header is mapped to it. A backfill reads past years; the nightly run the latest.",
    )
    provinces: list[str] = Field(
        default_factory=list,
        description="One file per province (two-digit codes, e.g. [31, 32]): `{province}` in "
        "the location names each province's file, and each province's file is a source of its "
        "own, `<id>_<code>` (read, checked and published apart, so a night holds one province "
        "at a time and redoes only the provinces whose file changed).",
    )
    part_of: str | None = Field(
        default=None,
        description="Set by the registry, never written: the entry a province's part comes from.",
    )
    contestants: dict[str, list[Literal["key", "number", "name"]]] = Field(
        default_factory=dict,
        description="How the kind's party and candidate columns may be matched to the "
        "reference tables, per column: by an external key (KawalPemilu's pas1, pdi), by ballot "
        "number within the election, by name, short name or alias. All three by default; e.g. "
        "`{candidate: [key]}` for a file that only writes keys.",
    )
    code_vintage: int | None = Field(
        default=None,
        ge=FIRST_YEAR,
        le=LAST_YEAR,
        description="The year whose region codes and boundaries the source writes (e.g. 2014 "
        "for a 2014 file): a region split since (91 Papua before 2022, 64 Kalimantan Timur "
        "before 2012) is marked as the larger region of that year, not taken for today's.",
    )
    values: dict[str, dict[str, str]] = Field(
        default_factory=dict,
        description="The source's own values of a column and the kind's value each one "
        "means, per column (e.g. category: {'Dugaan Politik Uang': politik_uang}). The "
        "value as written is kept in the row's attributes.",
    )
    max_rejected_share: float = Field(
        default=0.5,
        ge=0,
        le=1,
        description="If more of the file's rows than this are rejected, the file is held back "
        "whole (its last good load stays published): such a file is more likely misread than bad.",
    )

    @field_validator("constants")
    @classmethod
    def _plain_digits(cls, value: dict[str, str | int]) -> dict[str, str | int]:
        # Here, not at the top: the validation package imports this module.
        from odc_pipeline.validation.lookalike import digits_name

        for column, constant in value.items():
            name = digits_name(str(constant))
            if name is not None:
                raise ValueError(
                    f"the constant {column}: {constant!r} is written with {name} digits, which "
                    "look like 0-9 but are other characters; retype it with the digits 0-9"
                )
        return value

    @field_validator("kind")
    @classmethod
    def _known_kind(cls, value: str) -> str:
        if value not in KINDS:
            raise ValueError(
                f"unknown dataset kind {value!r}; known kinds: {', '.join(sorted(KINDS))}"
            )
        return value

    @model_validator(mode="after")
    def _columns_fit_kind(self) -> SourceEntry:
        kind = KINDS[self.kind]
        region_columns = [region.column for region in self.regions]
        allowed = set(kind.canonical_columns) | set(region_columns)
        targets = self.provided_columns
        # A column the kind does not know is kept in the row's attributes, unless its name
        # is one letter or two from a kind's column: then it is more likely a typo.
        from odc_pipeline.registry.attribute_names import (
            attribute_problem,
            personal_header_problem,
        )

        for target in sorted(t for t in targets if t not in allowed and t not in self.personal):
            problem = attribute_problem(target, kind.canonical_columns)
            if problem:
                raise ValueError(problem)
        # Text kept as written: neither hashed, dropped nor scrubbed as free text. A number,
        # date or yes/no is parsed and range-checked (`Jumlah KK` is a count of households).
        hidden = {*self.personal_columns, *kind.withheld_columns, *kind.free_text_columns}
        for header, target in self.columns.items():
            if target in hidden or target in region_columns:
                continue
            if target not in kind.canonical_columns:
                declared = "it is dropped"  # an attribute: nothing would hash it
            elif kind.column(target).type != "text":
                continue
            elif target in kind.optional_columns:
                declared = "only its salted hash is kept"
            else:
                declared = None  # a required column cannot be personal
            problem = personal_header_problem(header, target, declared)
            if problem:
                raise ValueError(problem)
        missing = [c for c in kind.required_columns if c not in targets]
        if missing:
            raise ValueError(
                f"kind {kind.name!r} needs columns {missing}: map a header to each "
                "under 'columns' or give a fixed value under 'constants'"
            )
        # A region column comes from a header, or is one region for every row (a candidate
        # list of one province: `constants: {provinsi: Jawa Barat}`).
        unmapped = [
            c for c in region_columns if c not in self.columns.values() and c not in self.constants
        ]
        if unmapped:
            raise ValueError(
                f"region columns {unmapped} are neither targets of the column mapping nor "
                "given under constants"
            )
        by_column: dict[str, list[str]] = {}
        for header, column in self.columns.items():
            by_column.setdefault(column, []).append(header)
        for column, headers in by_column.items():
            if len(headers) > 1:
                raise ValueError(
                    f"the headers {headers} are all mapped to the column {column!r}; map one"
                )
            if column in self.constants:
                raise ValueError(
                    f"the column {column!r} is mapped from the header {headers[0]!r} and given "
                    f"under constants ({self.constants[column]!r}) too: the constant would "
                    "replace what every row says; keep the header if the file gives it row by "
                    "row, or the constant if it is the same for the whole file"
                )
        # Here, not at the top: the reading package imports this module.
        from odc_pipeline.reading.headers import header_key

        by_key: dict[str, list[str]] = {}
        for header in self.columns:
            by_key.setdefault(header_key(header), []).append(header)
        for headers in by_key.values():
            if len(headers) > 1:
                raise ValueError(
                    f"the headers {headers} are one header of the file (headers are matched "
                    "ignoring case, spaces and punctuation); keep one"
                )
        return self

    @model_validator(mode="after")
    def _placeless_fits_kind(self) -> SourceEntry:
        top = min(self.regions, key=lambda r: r.depth)
        if top.blank_means_parent and not KINDS[self.kind].placeless:
            raise ValueError(
                f"regions: blank_means_parent on {top.column!r}, the top region column, would "
                f"publish rows of no place, and every row of {self.kind} must name one; set it "
                "on a lower column (an empty kabupaten/kota under its province)"
            )
        return self

    @model_validator(mode="after")
    def _recodes_fit(self) -> SourceEntry:
        kind = KINDS[self.kind]
        for column, recodes in self.values.items():
            if column not in kind.column_names or kind.column(column).type != "text":
                texts = [c.name for c in kind.columns if c.type == "text" and not c.withheld]
                raise ValueError(
                    f"values: {column!r} is not a text column of kind {kind.name!r}; recode "
                    f"one of: {', '.join(texts)}"
                )
            allowed = kind.column(column).allowed
            wrong = sorted({v for v in recodes.values() if allowed and v not in allowed})
            if wrong:
                raise ValueError(
                    f"values: {column}: {', '.join(map(repr, wrong))} is not a value of "
                    f"{column}; use one of: {', '.join(allowed)}"
                )
        return self

    @property
    def attribute_columns(self) -> tuple[str, ...]:
        """Mapped columns the kind does not declare: kept per row in `attributes` (JSON),
        unless declared personal (then dropped before anything is stored)."""
        kind = KINDS[self.kind]
        regions = {region.column for region in self.regions}
        return tuple(
            c
            for c in self.columns.values()
            if c not in kind.canonical_columns and c not in regions and c not in self.personal
        )

    @model_validator(mode="after")
    def _contestant_columns_fit(self) -> SourceEntry:
        kind = KINDS[self.kind]
        wrong = [c for c in self.contestants if c not in kind.contestants]
        if wrong:
            raise ValueError(
                f"contestants {wrong}: only {', '.join(kind.contestants) or 'no columns'} of kind "
                f"{kind.name!r} name parties or pairs"
            )
        empty = [c for c, methods in self.contestants.items() if not methods]
        if empty:
            raise ValueError(f"contestants {empty}: name at least one of key, number, name")
        return self

    @model_validator(mode="after")
    def _personal_columns_fit(self) -> SourceEntry:
        kind = KINDS[self.kind]
        numeric = set(kind.integer_columns) | set(kind.decimal_columns) | set(kind.date_columns)
        allowed = [c for c in kind.optional_columns if c not in numeric]
        extra = {c for c in self.columns.values() if c not in kind.canonical_columns}
        wrong = [c for c in self.personal if c not in allowed and c not in extra]
        if wrong:
            raise ValueError(
                f"personal columns {wrong} cannot be declared for kind {kind.name!r}: only its "
                f"optional text columns can ({', '.join(allowed) or 'none'}); "
                f"{', '.join(kind.personal_columns) or 'none'} are personal already"
            )
        return self

    @model_validator(mode="after")
    def _json_options_fit_format(self) -> SourceEntry:
        json_only = {
            "read.tree": self.read.tree is not None,
            "read.records_keyed_by": self.read.records_keyed_by is not None,
            "pull.bundle": self.pull.bundle,
        }
        used = [name for name, is_set in json_only.items() if is_set]
        if used and self.format != "json":
            raise ValueError(f"{', '.join(used)} only apply to format json, not {self.format}")
        if self.pull.bundle and self.is_url:
            raise ValueError("pull.bundle gathers the files of a local folder, not a URL")
        return self

    @model_validator(mode="after")
    def _years_fit_location(self) -> SourceEntry:
        _listed_where_named(self.location, YEAR_FIELD, self.years, "years", "the years it covers")
        wrong = [y for y in self.years if not FIRST_YEAR <= y <= LAST_YEAR]
        if wrong:
            raise ValueError(f"years {wrong} are not election years ({FIRST_YEAR}-{LAST_YEAR})")
        if self.years and "year" in self.constants:
            raise ValueError(
                "year is given under constants and by years: with years, each file's year "
                "comes from its partition"
            )
        return self

    @field_validator("provinces", mode="before")
    @classmethod
    def _two_digit_codes(cls, value: object) -> object:
        # YAML reads 31 as a number and 01 as 1: a province code is two digits either way.
        if isinstance(value, list):
            return [
                f"{v:02d}" if isinstance(v, int) and not isinstance(v, bool) else v for v in value
            ]
        return value

    @model_validator(mode="after")
    def _provinces_fit_location(self) -> SourceEntry:
        _listed_where_named(
            self.location,
            PROVINCE_FIELD,
            self.provinces,
            "provinces",
            "the two-digit codes of the provinces it has a file for, e.g. provinces: [31, 32]",
        )
        wrong = [p for p in self.provinces if not re.fullmatch(r"\d{2}", p)]
        if wrong:
            raise ValueError(
                f"provinces {wrong} are not province codes: write each as its two digits "
                "(31 for DKI Jakarta)"
            )
        if self.provinces and len(self.id) + PART_SUFFIX_LENGTH > 63:
            raise ValueError(
                f"the id is too long for a source split by province: each province's part is "
                f"named <id>_<code>, at most 63 characters; shorten it to "
                f"{63 - PART_SUFFIX_LENGTH} characters"
            )
        return self

    @field_validator("location")
    @classmethod
    def _known_scheme(cls, value: str) -> str:
        if "://" in value and not value.lower().startswith(("http://", "https://")):
            raise ValueError(
                f"{value.split('://')[0]}:// locations are not pulled; use a path relative to "
                "the registry, or an http(s):// URL"
            )
        return value

    @property
    def provided_columns(self) -> set[str]:
        """Canonical columns this source fills: mapped from a header or given as a constant."""
        filled_by_year = (
            {"year"} if self.years and "year" in KINDS[self.kind].canonical_columns else set()
        )
        return {*self.columns.values(), *self.constants, *filled_by_year}

    @property
    def partitioned(self) -> bool:
        """One file per year (see `years`)."""
        return bool(self.years)

    def for_year(self, year: int) -> SourceEntry:
        """This source as it is for one year: that year's file, and the year as a constant
        unless a header gives it. Everything downstream of the pull then reads it as any
        other source."""
        constants = dict(self.constants)
        if "year" not in self.columns.values() and "year" in KINDS[self.kind].canonical_columns:
            constants["year"] = year
        return self.model_copy(
            update={
                "location": self.location.replace(YEAR_FIELD, str(year)),
                "constants": constants,
                "years": [],
            }
        )

    def parts(self) -> list[SourceEntry]:
        """The sources this entry stands for: one per province it lists (each its own file,
        id `<id>_<code>`), or itself. Each part is read, checked, harmonized and published
        as a source of its own: a step then holds one province, not the country, and a
        night redoes only the provinces whose file changed."""
        if not self.provinces:
            return [self]
        return [
            self.model_copy(
                update={
                    "id": f"{self.id}_{code}",
                    "location": self.location.replace(PROVINCE_FIELD, code),
                    "description": f"{self.description or self.id} (provinsi {code})",
                    "provinces": [],
                    "part_of": self.id,
                }
            )
            for code in self.provinces
        ]

    def located_entries(self) -> list[SourceEntry]:
        """The entry for each file it names: one per year, or itself."""
        return [self.for_year(y) for y in self.years] if self.years else [self]

    def region_specs(self) -> list[Spec]:
        """The region columns as the harmonizer reads them."""
        return [
            Spec(r.column, r.depth, r.system, r.untyped, r.blank_means_parent) for r in self.regions
        ]

    @property
    def folder_pattern(self) -> str:
        """Which files of a folder location belong to the source (pull.pattern, or by format)."""
        return self.pull.pattern or f"*.{self.format}"

    @property
    def is_url(self) -> bool:
        return self.location.lower().startswith(("http://", "https://"))

    @property
    def personal_columns(self) -> tuple[str, ...]:
        """The kind's personal columns and the ones this source declares."""
        kind = KINDS[self.kind]
        return kind.personal_columns + tuple(
            c for c in self.personal if c not in kind.personal_columns
        )

    @property
    def dropped_columns(self) -> tuple[str, ...]:
        """Mapped columns no step keeps: the kind's withheld ones (never stored, not even
        hashed) and the personal ones the kind does not declare (nothing would hash them)."""
        kind = KINDS[self.kind]
        extra = tuple(c for c in self.personal if c not in kind.canonical_columns)
        return kind.withheld_columns + extra

    def location_path(self, base_dir: Path) -> Path:
        """The file's path; relative locations are read from the registry's folder."""
        path = Path(self.location)
        return path if path.is_absolute() else base_dir / path


class DataFolder(_Strict):
    """Where the locations are, when the files live outside the registry's folder (files read
    where they are, e.g. under a licence that forbids copying them)."""

    variable: str = Field(
        pattern=r"^[A-Z][A-Z0-9_]{0,63}$",
        description="Environment variable that moves the folder.",
    )
    default: str = Field(min_length=1, description="The folder, relative to the registry file.")


class BrokenSource(_Strict):
    """A registry entry that cannot be used as written: held back alone, with the reasons, so
    that the other sources still run (see `load_registry(keep_broken=True)`)."""

    label: str = Field(description="How the steward finds it: 'source #3 ('jsn_x')'.")
    source_id: str | None = Field(
        default=None, description="Its id, when it has a usable one that no other entry holds."
    )
    organization: str | None = Field(
        default=None, description="Its organisation, when that is one of the registry's."
    )
    problems: list[str] = Field(min_length=1)

    @property
    def message(self) -> str:
        return "the registry entry cannot be used: " + "; ".join(self.problems)


class Registry(_Strict):
    """All organisations and their sources, as one validated document."""

    organizations: dict[str, Organization]
    sources: list[SourceEntry]
    data_folder: DataFolder | None = None
    base_dir: Path = Path(".")
    #: Entries held back for their problems; set by the loader, never read from the YAML.
    broken: list[BrokenSource] = Field(default_factory=list)

    @field_validator("organizations")
    @classmethod
    def _safe_organization_ids(cls, value: dict[str, Organization]) -> dict[str, Organization]:
        # Organisation ids name Dagster groups, PostgreSQL schemas and roles, and files.
        unsafe = [key for key in value if not re.match(SAFE_ID, key)]
        if unsafe:
            raise ValueError(
                f"organisation ids {unsafe} are not valid: use lowercase letters, digits and "
                "'_', starting with a letter"
            )
        return value

    def source(self, source_id: str) -> SourceEntry:
        for entry in self.sources:
            if entry.id == source_id:
                return entry
        raise KeyError(source_id)

    def organization_name(self, organization_id: str) -> str:
        return self.organizations[organization_id].name

    def group_name(self, organization_id: str | None) -> str | None:
        """The name of the organisation's group in the Dagster UI: its name written as a
        plain identifier (Dagster allows no spaces), so a steward sees
        `forum_pemantau_pemilu_jawa_barat` rather than the registry's short id `fppjb`."""
        organization = self.organizations.get(organization_id or "")
        if organization is None:
            return None
        return group_name_of(organization.name) or organization_id
