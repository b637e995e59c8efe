"""`python -m odc_pipeline.bench NAME [options]`: run one benchmark and save its results."""

from __future__ import annotations

import sys

BENCHMARKS = ("regions", "validation", "publish", "nightly")


def main(argv: list[str]) -> int:
    if len(argv) < 2 or argv[1] not in BENCHMARKS:
        print(f"usage: python -m odc_pipeline.bench {{{','.join(BENCHMARKS)}}} [options]")
        return 2
    if argv[1] == "regions":
        from odc_pipeline.bench.regions import main as regions

        return regions(argv[2:])
    if argv[1] == "validation":
        from odc_pipeline.bench.validation import main as validation

        return validation(argv[2:])
    if argv[1] == "publish":
        from odc_pipeline.bench.publish import main as publish

        return publish(argv[2:])
    if argv[1] == "nightly":
        from odc_pipeline.bench.nightly import main as nightly

        return nightly(argv[2:])
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv))
