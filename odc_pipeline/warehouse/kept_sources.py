"""Which sources' earlier rows a new version keeps, as SQL.

Three places ask it of the version before: carrying rows forward into a build from empty,
carrying forward rows laid out before `dim_load`, and deleting from a patched copy what the
run replaced. They must agree, or a patch and a rebuild would publish different rows; so the
question is written here once. The lists are bound as typed expanding parameters: an empty
list (a publish that replaced no source) must still compare text with text, and PostgreSQL
refuses `varchar = integer` if the empty list goes untyped.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import String, TextClause, bindparam, text


@dataclass(frozen=True)
class KeptSources:
    """The earlier rows kept: every source's but the `replaced` ones, and with `registered`
    (the registry's sources; None when the run has no catalogue) only theirs."""

    replaced: list[str]
    registered: list[str] | None = None

    def kept(self, column: str = "source_id") -> str:
        """A condition true of the rows kept, on `column` (a source id)."""
        condition = f"{column} NOT IN :replaced"
        if self.registered is not None:
            condition += f" AND {column} IN :registered"
        return condition

    def gone(self, column: str = "source_id") -> str:
        """A condition true of the rows not kept: `kept`'s negation, written out so that
        each side can use an index on `column`."""
        condition = f"{column} IN :replaced"
        if self.registered is not None:
            condition += f" OR {column} NOT IN :registered"
        return condition

    def statement(self, sql: str) -> TextClause:
        """`sql` (using `kept` or `gone`) with the lists bound as text."""
        return text(sql).bindparams(
            *(bindparam(name, expanding=True, type_=String()) for name in self.parameters)
        )

    @property
    def parameters(self) -> dict[str, list[str]]:
        """The values for `statement`'s parameters."""
        named = {"replaced": self.replaced}
        if self.registered is not None:
            named["registered"] = self.registered
        return named
