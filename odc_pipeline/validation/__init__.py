"""Parse text cells into typed values and check them against the kind's pandera model."""
