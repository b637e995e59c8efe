"""Releases: every publish as a numbered, citable version of the published tables.

An analyst quotes a figure from release `2026.12.02-1`; weeks later anyone can open that
release, see which file of which member each row came from, and list what changed since and
why. A release is a manifest (the run, every source with its file hash, the reference
tables' versions, a checksum of every file) and Parquet files per audience and table.

The Parquet files are content-addressed: each part (one source's rows of one table for one
election year) is stored once under the SHA-256 of its bytes, and each release's folders are
hard links to those objects. A release whose sources did not change therefore costs its
manifest and a few links, not a copy of the warehouse; pruning a release removes only the
objects no kept release links to. Plain Python, no Dagster.
"""
