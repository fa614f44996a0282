"""Batch runs of report notebooks: ``ils run``, the report portal and ``ils serve``.

- :mod:`ilslib.runner.batch`: plan (validate, skip unchanged), lock, run, log, manifest;
- :mod:`ilslib.runner.job`: one report, executed, rendered and written atomically;
- :mod:`ilslib.runner.pool`: warm, isolated, parallel report processes;
- :mod:`ilslib.runner.portal`: ``OUT/index.html``;
- :mod:`ilslib.runner.dask_executor`: the same jobs on a Dask cluster.

Nothing heavy is imported here: the parent of a run never needs Jupyter's libraries.
"""
