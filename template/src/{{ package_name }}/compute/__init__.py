"""Where prepare and featurize run: Polars streaming on this machine, or Dask partitions.

`engine` picks one from params.yaml's compute section and DASK_SCHEDULER_ADDRESS; the
Dask engine, when the project has it, lives in `on_dask` and is imported only to run.
"""
