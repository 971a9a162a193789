// The table a point prints at its end: statistics of every operation over all clients.
#pragma once

#include <mpi.h>

#include "results/timing_recorder.hpp"

namespace scalestudy::point {

/// Rank 0 of `clients` prints, per operation of its own recorder, the statistics of every
/// client's non-warm-up samples. Collective over `clients`.
void print_summary(const results::TimingRecorder& recorder, MPI_Comm clients);

}  // namespace scalestudy::point
