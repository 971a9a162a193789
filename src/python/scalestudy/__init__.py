"""scalestudy for Python: the store verbs (datasets, lists, tensors as numpy arrays without
copies) and the point runner of a Python consumer rank, over mpi4py.

MPI starts when this package is imported (mpi4py, at the thread level of the C++ ranks:
MPI_THREAD_FUNNELED), before the extension makes any MPI call.
"""

import mpi4py

if not hasattr(mpi4py, "MPI"):  # mpi4py.MPI not imported yet: its thread level is still ours
    mpi4py.rc.thread_level = "funneled"
from mpi4py import MPI  # noqa: E402  (initialises MPI)

from ._scalestudy import (  # noqa: E402
    ConfigError,
    ConsumerContext,
    DataSet,
    Store,
    StoreError,
    run_point,
)

__all__ = ["ConfigError", "ConsumerContext", "DataSet", "MPI", "Store", "StoreError",
           "consumer_comm", "run_point"]


def consumer_comm(context: ConsumerContext) -> "MPI.Intracomm":
    """The communicator of the consumer ranks (for their barriers), as an mpi4py Intracomm."""
    return MPI.Intracomm.f2py(context.comm_handle)
