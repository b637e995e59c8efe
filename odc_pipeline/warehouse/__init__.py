"""The combined warehouse: table definitions and the atomic publish."""
