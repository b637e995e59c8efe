"""odc-pipeline: combine Indonesian CSO election datasets into one warehouse analysts can defend."""
