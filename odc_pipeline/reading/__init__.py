"""Read a member's file, whatever tool exported it, into a table of text cells."""

from odc_pipeline.reading.headers import MissingColumnsError, apply_column_mapping, header_key
from odc_pipeline.reading.readers import SourceReadError, file_sha256, read_source

__all__ = [
    "MissingColumnsError",
    "SourceReadError",
    "apply_column_mapping",
    "file_sha256",
    "header_key",
    "read_source",
]
