"""The asset factory: each registry entry becomes pull → raw → validated (+ quarantine) →
harmonized.

Adding a dataset is a YAML entry: this module turns every entry into the same chain of
assets, grouped under its organisation, with tags a steward can filter on in the UI.
"""

import traceback
import warnings
from pathlib import Path

import dagster as dg
import pandas as pd

from odc_pipeline.defs.metadata import frame_metadata, markdown_preview
from odc_pipeline.defs.partitions import entry_for_partition
from odc_pipeline.defs.pulling import (
    processing_fingerprint,
    pull_origin,
    pull_record,
    reference_fingerprint,
)
from odc_pipeline.defs.source_checks import source_check_results, source_check_specs
from odc_pipeline.elections.contestants import cached_contestant_index
from odc_pipeline.elections.harmonize import harmonize_contestants
from odc_pipeline.elections.reference import ElectionReferenceError
from odc_pipeline.elections.review import contestant_review_items
from odc_pipeline.kinds import KINDS
from odc_pipeline.pulling import PullError, SnapshotStore, pull_source
from odc_pipeline.quoting import quoted
from odc_pipeline.reading import MissingColumnsError, SourceReadError, read_source
from odc_pipeline.reading.encodings import READ_NOTES
from odc_pipeline.reading.headers import (
    PROVENANCE_COLUMNS,
    drop_unstored_columns,
    header_key,
    shareable_headers,
)
from odc_pipeline.regions import cached_region_tables, harmonize_regions
from odc_pipeline.regions.tables import ReferenceTableError
from odc_pipeline.regions.vintage import cached_splits, mark_vintage, vintage_hint
from odc_pipeline.registry.model import SourceEntry
from odc_pipeline.source_status import ERROR_ATTR, failed_frame, source_error
from odc_pipeline.validation.quarantine import empty_quarantine
from odc_pipeline.validation.rule_names import plain_rule
from odc_pipeline.validation.validate import ValidationOutcome, validate_source

REFERENCE_ASSET = "region_reference"
# Output(data_version=...) is marked beta; it is what lets an unchanged file be recognised.
warnings.filterwarnings("ignore", category=dg.BetaWarning, message=".*data_version.*")


def pull_key(source_id: str) -> dg.AssetKey:
    return dg.AssetKey(f"pull_{source_id}")


def raw_key(source_id: str) -> dg.AssetKey:
    return dg.AssetKey(f"raw_{source_id}")


def validated_key(source_id: str) -> dg.AssetKey:
    return dg.AssetKey(f"validated_{source_id}")


def quarantine_key(source_id: str) -> dg.AssetKey:
    return dg.AssetKey(f"quarantine_{source_id}")


def harmonized_key(source_id: str) -> dg.AssetKey:
    return dg.AssetKey(f"harmonized_{source_id}")


def _raw_metadata(frame: pd.DataFrame, entry: SourceEntry) -> dict[str, object]:
    """Count, schema and a preview of the file as read: its mapped, non-personal columns only
    (the rest of a file, such as a candidate's home address, never reaches the event log),
    with free text scrubbed."""
    shown = shareable_headers(frame, entry.columns, entry.personal_columns)
    kind = KINDS[entry.kind]
    # Columns kept as attributes can hold anything a member typed: scrubbed like free text.
    scrubbed_columns = {*kind.free_text_columns, *entry.attribute_columns}
    free_text = {header_key(h) for h, c in entry.columns.items() if c in scrubbed_columns}
    scrubbed = tuple(h for h in shown if header_key(h) in free_text)
    return frame_metadata(frame, free_text=scrubbed, shown=shown)


def _tags(entry: SourceEntry) -> dict[str, str]:
    tags = {"kind": entry.kind, "sharing": entry.sharing, "format": entry.format}
    # A province's part of a split entry: the steward filters on the entry to see them all.
    return tags | ({"part_of": entry.part_of} if entry.part_of else {})


def no_file_frame(entry: SourceEntry) -> pd.DataFrame:
    """What `raw` holds for a year the source has no file for: no rows, every column, no
    error (validation and harmonizing pass it through; the publish adds nothing for it)."""
    columns = [*entry.columns, *PROVENANCE_COLUMNS]
    return pd.DataFrame({column: pd.Series(dtype=object) for column in columns})


def build_source_assets(
    entry: SourceEntry,
    base_dir: Path,
    organization_name: str,
    group: str,
    reference_dir: Path,
    snapshot_dir: Path,
    partitions: dg.PartitionsDefinition | None = None,
) -> list[dg.AssetsDefinition]:
    """The four steps of one source, as Dagster assets (one partition per year with `years`)."""
    partitions = partitions if entry.partitioned else None
    latest = partitions.get_partition_keys()[-1] if partitions else None
    owners = [f"team:{entry.organization}"]
    tags = _tags(entry)
    who = f"{organization_name}: {entry.description or entry.id}"
    kind = KINDS[entry.kind]
    store = SnapshotStore(snapshot_dir)

    def this_run(context) -> tuple[SourceEntry, str | None]:
        """The entry for this run's year, and why there is no file, or None when there is."""
        key = context.partition_key if context.has_partition_key else None
        located = entry_for_partition(entry, key, latest)
        if located is not None:
            return located, None
        covered = ", ".join(str(y) for y in entry.years)
        return entry.for_year(int(key)), f"{entry.id} has no file for {key} (it covers {covered})"

    @dg.asset(
        key=pull_key(entry.id),
        group_name=group,
        owners=owners,
        tags=tags,
        kinds={"http" if entry.is_url else "file"},
        partitions_def=partitions,
        description=f"{who}\n\nThe file fetched from {pull_origin(entry)} into the snapshot "
        "store (once per content), or why it could not be.",
    )
    def pulled(context: dg.AssetExecutionContext) -> dg.Output[pd.DataFrame]:
        located, no_file = this_run(context)
        if no_file:
            context.log.info(no_file)
            nothing = pull_record(entry.id, None, None)
            return dg.Output(
                nothing, metadata={"pull_id": str(nothing["pull_id"].iloc[0]), "no_file": no_file}
            )
        try:
            result = pull_source(located, base_dir, store)
        except PullError as error:
            message = f"Source {entry.id!r} ({entry.organization}): {error}"
            context.log.error(message)
            failed = pull_record(entry.id, None, message)
            return dg.Output(
                failed,
                metadata={
                    "pull_id": str(failed["pull_id"].iloc[0]),
                    "source_error": message,
                    "origin": pull_origin(located),
                },
            )
        snapshot = result.snapshot
        result_record = pull_record(entry.id, snapshot, None)
        context.log.info(
            f"{entry.id}: {'not modified' if result.not_modified else 'pulled'} "
            f"{snapshot.size:,} bytes ({'changed' if snapshot.changed else 'unchanged'})"
        )
        for warning in result.warnings:  # the pull worked, but the store needs a look
            context.log.warning(f"Source {entry.id!r} ({entry.organization}): {warning}")
        return dg.Output(
            result_record,
            data_version=dg.DataVersion(snapshot.sha256),
            metadata={
                "pull_id": str(result_record["pull_id"].iloc[0]),
                "sha256": snapshot.sha256,
                "bytes": snapshot.size,
                "origin": snapshot.origin,
                "changed": snapshot.changed,
                "not_modified": result.not_modified,
                "snapshot": dg.MetadataValue.path(str(result.path)),
                **({"store_warnings": "\n\n".join(result.warnings)} if result.warnings else {}),
            },
        )

    @dg.asset(
        key=raw_key(entry.id),
        group_name=group,
        owners=owners,
        tags=tags,
        kinds={entry.format, "pandas"},
        ins={"pulled": dg.AssetIn(pull_key(entry.id))},
        partitions_def=partitions,
        description=f"{who}\n\nThe pulled file as read ({entry.format}), every cell as text.",
    )
    def raw(context: dg.AssetExecutionContext, pulled: pd.DataFrame) -> dg.Output[pd.DataFrame]:
        located, no_file = this_run(context)
        record = pulled.iloc[0]
        # What the sensor compares with the latest pull to decide whether to redo the source.
        trace = {
            "pull_id": str(record["pull_id"]),
            "snapshot_sha256": str(record["sha256"]),
            # Taken when the step runs, not when the definitions load: a long-lived code
            # server must not record reference tables that have changed since.
            "processed_with": processing_fingerprint(entry, reference_fingerprint(reference_dir)),
        }
        if no_file:
            return dg.Output(no_file_frame(entry), metadata={"no_file": no_file, **trace})
        if record["error"] is not None:
            context.log.error(record["error"])
            return dg.Output(
                failed_frame(record["error"]), metadata={"source_error": record["error"], **trace}
            )
        path = store.root / record["stored_as"]
        name = record["name"]
        try:
            frame = read_source(path, located.format, located.read, list(located.columns))
            drop_unstored_columns(frame, located.columns, located.dropped_columns)
        except SourceReadError as error:
            message = f"Source {entry.id!r} ({entry.organization}): cannot read {name}: {error}"
            context.log.error(message)
            return dg.Output(failed_frame(message), metadata={"source_error": message, **trace})
        except Exception as error:  # a source that fails fails alone
            message = _unexpected(entry, "read", error)
            context.log.error(message)
            return dg.Output(failed_frame(message), metadata={"source_error": message, **trace})
        context.log.info(f"{entry.id}: read {len(frame):,} rows from {name}")
        notes = frame.attrs.get(READ_NOTES, [])
        for note in notes:
            context.log.warning(f"Source {entry.id!r} ({entry.organization}), {name}: {note}")
        return dg.Output(
            frame,
            metadata={
                **_raw_metadata(frame, entry),
                **({"read_notes": dg.MetadataValue.md("\n".join(notes))} if notes else {}),
                "file_hash": str(record["sha256"]),
                "origin": str(record["origin"]),
                **trace,
            },
        )

    @dg.multi_asset(
        outs={
            validated_key(entry.id).to_python_identifier(): dg.AssetOut(
                key=validated_key(entry.id),
                group_name=group,
                owners=owners,
                tags=tags,
                kinds={"pandera"},
                description=f"{who}\n\nRows that passed the {entry.kind} rules, typed.",
            ),
            quarantine_key(entry.id).to_python_identifier(): dg.AssetOut(
                key=quarantine_key(entry.id),
                group_name=group,
                owners=owners,
                tags=tags,
                kinds={"pandas"},
                description=f"{who}\n\nRows set aside, one line per problem: row number in the file, column, value, rule and reason.",
            ),
        },
        ins={"raw": dg.AssetIn(raw_key(entry.id))},
        name=f"validate_{entry.id}",
        check_specs=source_check_specs(entry),
        partitions_def=partitions,
    )
    def validated(context: dg.AssetExecutionContext, raw: pd.DataFrame):
        located, _ = this_run(context)
        error = source_error(raw)
        outcome = None
        if error is None:
            try:
                outcome = validate_source(raw, located)
            except MissingColumnsError as missing:
                error = f"Source {entry.id!r} ({entry.organization}): the column mapping does not fit {_file_name(located)}: {missing}"
            except Exception as unexpected:  # a source that fails fails alone
                error = _unexpected(entry, "validate", unexpected)
        if outcome is None:
            outcome = ValidationOutcome(
                valid=failed_frame(error), quarantine=empty_quarantine(), rows_in=len(raw)
            )
        elif outcome.error:
            error = f"Source {entry.id!r} ({entry.organization}), {_file_name(located)}: {outcome.error}"
            outcome.valid.attrs[ERROR_ATTR] = error
        if error:
            context.log.error(error)
        else:
            context.log.info(
                f"{entry.id}: {len(outcome.valid):,} of {outcome.rows_in:,} rows valid, "
                f"{outcome.rows_quarantined:,} quarantined"
            )
        rows_by_rule: dict[str, int] = {}
        for (rule, column), rows in (
            outcome.quarantine.groupby(["rule", "column_name"], dropna=False)["source_row"]
            .nunique()
            .items()
        ):
            text = plain_rule(rule, _named(column))
            rows_by_rule[text] = rows_by_rule.get(text, 0) + int(rows)
        yield dg.Output(
            outcome.valid,
            output_name=validated_key(entry.id).to_python_identifier(),
            metadata={
                **frame_metadata(outcome.valid, entry.personal_columns, kind.free_text_columns),
                "rows_in": outcome.rows_in,
                "rows_valid": len(outcome.valid),
                "rows_quarantined": outcome.rows_quarantined,
                **({"source_error": error} if error else {}),
            },
        )
        yield dg.Output(
            outcome.quarantine,
            output_name=quarantine_key(entry.id).to_python_identifier(),
            metadata={
                "dagster/row_count": len(outcome.quarantine),
                "rows_quarantined": outcome.rows_quarantined,
                "rows_by_rule": dg.MetadataValue.json(rows_by_rule),
                "problems": markdown_preview(
                    outcome.quarantine[["source_row", "column_name", "value", "rule", "reason"]]
                    .head(25)
                    .assign(
                        rule=lambda q: [
                            plain_rule(r, _named(c))
                            for r, c in zip(q["rule"], q["column_name"], strict=True)
                        ]
                    ),
                    rows=25,
                    total=len(outcome.quarantine),
                ),
            },
        )
        yield from source_check_results(located, outcome, error)

    specs = entry.region_specs()

    @dg.asset(
        key=harmonized_key(entry.id),
        group_name=group,
        owners=owners,
        tags=tags,
        kinds={"pandas"},
        ins={
            "validated": dg.AssetIn(validated_key(entry.id)),
            "reference": dg.AssetIn(REFERENCE_ASSET),
        },
        partitions_def=partitions,
        description=f"{who}\n\nValid rows with the current Kemendagri code of their region, or the reason none was found.",
    )
    def harmonized(
        context: dg.AssetExecutionContext, validated: pd.DataFrame, reference: pd.DataFrame
    ):
        error = source_error(validated) or source_error(reference)
        if error:
            context.log.warning(f"{entry.id}: not harmonized this run: {error}")
            return dg.Output(failed_frame(error), metadata={"source_error": error})
        try:
            tables = cached_region_tables(reference, reference_dir)
            contestants = cached_contestant_index(reference_dir) if kind.contestants else None
        except (ReferenceTableError, ElectionReferenceError) as table_error:
            message = f"Source {entry.id!r}: a reference table under data/reference/ is invalid: {table_error}"
            context.log.error(message)
            return dg.Output(failed_frame(message), metadata={"source_error": message})
        try:
            frame = harmonize_regions(validated, specs, tables, source_id=entry.id)
            splits = cached_splits(reference_dir)
            hint = vintage_hint(frame, entry.code_vintage, splits)
            if hint:
                context.log.warning(f"{entry.id}: {hint}")
            frame = mark_vintage(frame, entry.code_vintage, splits)
            if contestants is not None:
                frame = harmonize_contestants(
                    frame,
                    [c for c in kind.contestants if c in frame.columns],
                    contestants,
                    entry.contestants,
                    source_id=entry.id,
                )
        except Exception as unexpected:  # a source that fails fails alone
            message = _unexpected(entry, "harmonize", unexpected)
            context.log.error(message)
            return dg.Output(failed_frame(message), metadata={"source_error": message})
        matched = int(frame["region_code"].notna().sum())
        rate = matched / len(frame) if len(frame) else 1.0
        unmatched = frame.loc[
            frame["region_code"].isna(), [s.column for s in specs] + ["region_problem"]
        ]
        unmatched = unmatched.drop_duplicates()
        context.log.info(
            f"{entry.id}: regions matched for {matched:,} of {len(frame):,} rows ({rate:.1%})"
        )
        undecided = contestant_review_items(frame, entry.id)
        if len(undecided):
            context.log.warning(
                f"{entry.id}: {int(undecided['rows'].sum()):,} rows name a party or pair no "
                f"rule decided ({len(undecided)} values); they are published as written and "
                "listed in contestant_review"
            )
        return dg.Output(
            frame,
            metadata={
                **frame_metadata(frame, entry.personal_columns, kind.free_text_columns),
                "rows_matched": matched,
                "rows_unmatched": len(frame) - matched,
                "region_match_percent": dg.MetadataValue.float(round(100 * rate, 2)),
                "unmatched_regions": markdown_preview(unmatched, rows=25),
                **(
                    {
                        "undecided_contestants": markdown_preview(
                            undecided[["column_name", "year", "value", "rows", "suggestions"]],
                            rows=25,
                        )
                    }
                    if len(undecided)
                    else {}
                ),
            },
        )

    return [pulled, raw, validated, harmonized]


def _unexpected(entry: SourceEntry, step: str, error: Exception) -> str:
    """A problem the code does not foresee, in words a steward can pass on: this source is
    held back alone (its last good load stays) and the night goes on for the others. Where
    it was raised (file and line) is for the maintainers; no value of the file is quoted
    beyond the capped message."""
    where = traceback.extract_tb(error.__traceback__)[-1] if error.__traceback__ else None
    place = f" at {Path(where.filename).name}:{where.lineno}" if where else ""
    return (
        f"Source {entry.id!r} ({entry.organization}): the {step} step stopped on a problem it "
        f"cannot explain ({type(error).__name__}: {quoted(str(error))}{place}); this source is "
        "held back and its last good load stays, the other sources go on. Please send this "
        "message and the run id to the maintainers."
    )


def _file_name(entry: SourceEntry) -> str:
    """The file's name as the registry gives it, for messages (snapshots are named by hash)."""
    return Path(entry.location.split("?")[0]).name or entry.id


def _named(column) -> str | None:
    """A quarantine row's column, or None for a problem of the whole row."""
    return column if isinstance(column, str) and column else None
