"""The last module the step processes' server imports (see `PRELOAD_MODULES`): importing it
freezes, for the garbage collector, everything the server preloaded, before any step process
is forked from it.

Why. Each step process starts as a copy of the server, with the code location, Dagster,
pandas and Great Expectations already imported: about 450,000 objects. Without this, every
full collection in every step walked all of them, and writing their collector fields copied
the shared pages into the step's own memory. Frozen (Python's `gc.freeze`,
meant for a process that forks without exec), the collector leaves them alone. Measured on
the 2M-row night as a server runs it (`bench executor`'s forked run, four pairs alternating
with the same code without this): the steps' own seconds 69.5-78.9 s against 82.5-96.8 s
(0.84x), launch to exit 81.7-90.2 s against 89.8-101.8 s (0.91x), peak memory of the whole
process tree 1.32-1.39 GiB against 1.43-1.49 GiB.

Nothing but the server imports this module: in any other process it would freeze that
process's objects for good.
"""

import gc

gc.collect()  # what is garbage now is freed, not kept for the server's life
gc.freeze()
