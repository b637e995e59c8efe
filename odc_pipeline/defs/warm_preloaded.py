"""A module the step processes' server imports (see `PRELOAD_MODULES`), after the code
location and before `freeze_preloaded`: what every step process would otherwise work out
again for itself before its step starts, worked out once in the server.

Why. A step process forked from the server still resolved the code location's jobs
(Dagster builds them lazily, on first use) and their run config schema, each time, before
the step's own work: found with py-spy over the 2M-row night as a server runs it (58 step
processes). Resolved here, every step process starts with them resolved: the forked child
finds the very job objects this module resolved. With this module and the modules listed
before it, the time from a step process's start to its step's start, summed over that
night's steps, went from 6.1-6.9 s to 4.4-5.0 s: about 30 ms sooner per step.

Nothing but the server needs to import this module; anywhere else it only resolves what the
process would resolve anyway.
"""

from odc_pipeline.definitions import defs

#: Every job of the code location, resolved with its run config schema, by name.
WARMED_JOBS = {job.name: job for job in defs.resolve_all_job_defs()}
for _job in WARMED_JOBS.values():
    _job.run_config_schema  # noqa: B018 - built on first use and kept: here, once
