// The exception hierarchy: every error scalestudy raises derives from scalestudy::Error.
#pragma once

#include <stdexcept>
#include <string>

namespace scalestudy {

/// Base of every scalestudy exception. Messages say what failed, on what, and what to do.
class Error : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

/// A parameter, point file or layout that cannot be run as given.
class ConfigError : public Error {
 public:
  using Error::Error;
};

/// An MPI call that returned an error code (the framework's communicators use MPI_ERRORS_RETURN).
class MpiError : public Error {
 public:
  using Error::Error;
};

/// A store request that failed: names the operation, the key and the shard.
class StoreError : public Error {
 public:
  using Error::Error;
};

/// An HDF5 call or results-file check that failed.
class ResultsError : public Error {
 public:
  using Error::Error;
};

/// A workload that could not run its loop (bad data, impossible sizes).
class WorkloadError : public Error {
 public:
  using Error::Error;
};

/// A compute kernel asked to do what it cannot: an unstable time step, mismatched buffer sizes,
/// or a backend that is unknown or not built into this binary.
class KernelError : public Error {
 public:
  using Error::Error;
};

}  // namespace scalestudy
