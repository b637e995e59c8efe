"""Who may read what: one audience per sharing level, and one per member organisation.

Each source's `sharing` in the registry decides which audiences see its rows:

- `public`: rows of public sources; for anyone (role `<prefix>_analyst`, file `public.sqlite`).
- `members`: public and members-only sources; for member organisations (`<prefix>_member`).
- `private_<org>`: everything members see plus the organisation's own private sources
  (`<prefix>_org_<org>`, file `private_<org>.sqlite`).

Every table keeps its columns in every audience; only rows are filtered, by the sharing level of
the source they came from. Reference tables (regions, organisations, the data dictionary) are
in every audience. Rows of a source the catalogue does not know are in none.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import Table

from odc_pipeline.warehouse.schema import (
    ELECTION_DIMENSIONS,
    ELECTION_RESULTS_TABLES,
    SUMMARY_TABLES,
    contestant_review,
    dim_load,
    dim_organization,
    dim_region,
    fact_tables,
    load_audit,
    meta_columns,
    quarantine,
    region_review,
)

#: Tables every audience sees whole.
SHARED_WHOLE: tuple[Table, ...] = (
    dim_region,
    *ELECTION_DIMENSIONS,
    dim_organization,
    meta_columns,
)


def by_source_tables() -> tuple[Table, ...]:
    """Tables whose rows belong to a source, filtered by that source's sharing level."""
    return (
        *fact_tables().values(),
        dim_load,
        quarantine,
        region_review,
        contestant_review,
        *ELECTION_RESULTS_TABLES,
        *SUMMARY_TABLES,
        load_audit,
    )


#: PostgreSQL identifiers are cut at 63 bytes; longer ones would silently collide.
_MAX_IDENTIFIER = 63


@dataclass(frozen=True)
class Audience:
    """One group of readers and the sharing levels it may see."""

    name: str
    sharing: tuple[str, ...]
    #: The organisation whose private sources this audience also sees, if any.
    organization_id: str | None = None

    @property
    def schema(self) -> str:
        """PostgreSQL schema of the audience's views."""
        return f"{self.name}_data" if self.organization_id is None else self.name

    @property
    def file_name(self) -> str:
        """SQLite file of the audience, in the warehouse's `shared/` folder."""
        return f"{self.name}.sqlite"

    def role(self, prefix: str) -> str:
        """The PostgreSQL group role whose members read this audience."""
        if self.organization_id is not None:
            return f"{prefix}_org_{self.organization_id}"
        return f"{prefix}_analyst" if self.name == "public" else f"{prefix}_member"


PUBLIC = Audience("public", ("public",))
MEMBERS = Audience("members", ("public", "members"))


def audiences_for(organization_ids: list[str]) -> list[Audience]:
    """The public and members audiences, then one private audience per organisation."""
    private = [
        Audience(f"private_{org}", ("public", "members"), organization_id=org)
        for org in sorted(organization_ids)
    ]
    for audience in private:
        if len(audience.schema) > _MAX_IDENTIFIER:
            raise ValueError(
                f"organisation id {audience.organization_id!r} is too long for a PostgreSQL "
                f"schema name ({audience.schema!r} is over {_MAX_IDENTIFIER} characters)"
            )
    return [PUBLIC, MEMBERS, *private]


#: The organisation's own private sources, as a condition on `dim_source` (id bound).
OWN_PRIVATE = "sharing = 'private' AND organization_id = :organization_id"


def source_condition(audience: Audience) -> str:
    """A SQL condition on `dim_source` columns, with `:organization_id` bound where needed.

    The sharing levels are the code's own constants; the organisation id is always bound.
    """
    levels = ", ".join(f"'{level}'" for level in audience.sharing)
    condition = f"sharing IN ({levels})"
    if audience.organization_id is not None:
        condition = f"({condition} OR ({OWN_PRIVATE}))"
    return condition


def sees_no_more(narrower: Audience, wider: Audience) -> bool:
    """Whether `narrower` may read nothing `wider` may not."""
    return set(narrower.sharing) <= set(wider.sharing) and narrower.organization_id in (
        None,
        wider.organization_id,
    )
