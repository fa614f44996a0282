"""Batch runs of report notebooks: ``ils run``, the report portal and ``ils serve``.

- :mod:`ilslib.runner.request`: what a run is asked to do, and every check of it;
- :mod:`ilslib.runner.plan`: the jobs of a run (with :mod:`~ilslib.runner.incremental`: what is unchanged);
- :mod:`ilslib.runner.batch`: the run: lock, report processes, log (:mod:`~ilslib.runner.progress`),
  manifest (:mod:`~ilslib.runner.manifest`), portal;
- :mod:`ilslib.runner.layout`, :mod:`ilslib.runner.sets`: the output directory, a report set and its state;
- :mod:`ilslib.runner.job`: one report, executed, rendered and written atomically;
- :mod:`ilslib.runner.pool`: warm, isolated, parallel report processes (:mod:`~ilslib.runner.server`: the fork server they are forked from);
- :mod:`ilslib.runner.portal`: ``OUT/index.html``;
- :mod:`ilslib.runner.dask_executor`: the same jobs on a Dask cluster.

Nothing heavy is imported here: the parent of a run never needs Jupyter's libraries.
"""
