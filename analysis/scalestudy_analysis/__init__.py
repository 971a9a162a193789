"""scalestudy_analysis: loaders, statistics, scaling fits, figures and an HTML report for
scalestudy's HDF5 results (see analysis/README.md)."""

from .load import Study, failed_points, load_point, load_study

__all__ = ["Study", "failed_points", "load_point", "load_study"]
__version__ = "0.1.0"
