"""scalestudy_analysis: loaders, statistics, scaling fits, figures and an HTML report for
scalestudy's HDF5 results (see analysis/README.md)."""

from .load import PointFileWarning, Study, failed_points, load_point, load_study
from .samples import OperationSamples, PointFileError, Samples

__all__ = ["OperationSamples", "PointFileError", "PointFileWarning", "Samples", "Study",
           "failed_points", "load_point", "load_study"]
__version__ = "0.1.0"
