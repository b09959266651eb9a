"""Batch work on one machine or a Dask cluster, with the same results: the multiverse, many
meta-analyses from a Parquet dataset, and screening simulations. Only
:mod:`metareview.scale.backend` knows Dask; the statistics stay plain numpy functions."""
