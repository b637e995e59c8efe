"""Getting each member's file onto this machine: local paths, drop folders, HTTP(S) and CKAN,
stored once per content in a snapshot store with a manifest. No Dagster here."""

from odc_pipeline.pulling.pull import PullError, PullResult, pull_source
from odc_pipeline.pulling.snapshots import Snapshot, SnapshotStore

__all__ = ["PullError", "PullResult", "Snapshot", "SnapshotStore", "pull_source"]
