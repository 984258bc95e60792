"""
The benchmark harness: the nginx server, the peers' environments, the scenarios,
the timing loops run inside each worker process, and the report.

Modules imported by `bench/worker.py` (`scenarios`, `loops`, `clients`) use the
standard library only: they run in the peers' virtual environments too.
"""
