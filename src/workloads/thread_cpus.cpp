// CPU sampling of a rank's threads with sched_getcpu.
#include "workloads/thread_cpus.hpp"

#include <omp.h>

#include "core/placement.hpp"

namespace scalestudy::workloads {

void ThreadCpus::sample_this_thread() {
  const int cpu = core::current_cpu();
  if (cpu >= 0) all_.insert(cpu);
}

void ThreadCpus::sample_team(int threads) {
  std::vector<int> cpus(static_cast<std::size_t>(threads), -1);
  int team = 1;
#pragma omp parallel num_threads(threads)
  {
    cpus[static_cast<std::size_t>(omp_get_thread_num())] = core::current_cpu();
#pragma omp single
    team = omp_get_num_threads();
  }
  if (team_.size() < static_cast<std::size_t>(team)) {
    team_.resize(static_cast<std::size_t>(team));
    samples_.resize(static_cast<std::size_t>(team), 0);
  }
  for (std::size_t t = 0; t < static_cast<std::size_t>(team); ++t) {
    if (cpus[t] < 0) continue;
    team_[t].insert(cpus[t]);
    all_.insert(cpus[t]);
    ++samples_[t];
  }
}

std::string ThreadCpus::used() const { return core::cpu_list(all_); }

results::RecordTable ThreadCpus::table() const {
  std::vector<std::int64_t> thread;
  std::vector<std::string> cpus;
  for (std::size_t t = 0; t < team_.size(); ++t) {
    thread.push_back(static_cast<std::int64_t>(t));
    cpus.push_back(core::cpu_list(team_[t]));
  }
  return {"thread_cpus", {{"thread", thread}, {"cpus", cpus}, {"samples", samples_}}};
}

}  // namespace scalestudy::workloads
