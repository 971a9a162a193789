// Node CPUs from /sys and cgroups, the calling thread's CPU, and process start times from /proc.
#include "core/placement.hpp"

#include <sched.h>
#include <sys/sysinfo.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdlib>
#include <fstream>
#include <sstream>

#include "core/error.hpp"

namespace scalestudy::core {
namespace {

/// Parses a kernel CPU list ("0-3,8,10-11"); an empty set when it is empty or malformed.
std::set<int> parse_cpu_list(const std::string& text) {
  std::set<int> cpus;
  std::istringstream items(text);
  for (std::string item; std::getline(items, item, ',');) {
    item.erase(
        std::remove_if(item.begin(), item.end(), [](char c) { return c == ' ' || c == '\n'; }),
        item.end());
    if (item.empty()) continue;
    const auto dash = item.find('-');
    char* end = nullptr;
    const long first = std::strtol(item.c_str(), &end, 10);
    long last = first;
    if (dash != std::string::npos) last = std::strtol(item.c_str() + dash + 1, &end, 10);
    if (end == nullptr || *end != '\0' || first < 0 || last < first || last > 1 << 20) return {};
    for (long cpu = first; cpu <= last; ++cpu) cpus.insert(static_cast<int>(cpu));
  }
  return cpus;
}

std::string read_line(const std::string& path) {
  std::ifstream in(path);
  std::string line;
  std::getline(in, line);
  return line;
}

/// The CPUs of this process's cgroup cpuset (v2, else v1), or an empty set when none is set.
std::set<int> cgroup_cpus() {
  std::ifstream in("/proc/self/cgroup");
  for (std::string line; std::getline(in, line);) {
    const auto first = line.find(':');
    const auto second = line.find(':', first + 1);
    if (first == std::string::npos || second == std::string::npos) continue;
    const std::string controllers = line.substr(first + 1, second - first - 1);
    const std::string path = line.substr(second + 1);
    std::set<int> cpus;
    if (controllers.empty()) {
      cpus = parse_cpu_list(read_line("/sys/fs/cgroup" + path + "/cpuset.cpus.effective"));
    } else if (("," + controllers + ",").find(",cpuset,") != std::string::npos) {
      cpus = parse_cpu_list(read_line("/sys/fs/cgroup/cpuset" + path + "/cpuset.cpus"));
    }
    if (!cpus.empty()) return cpus;
  }
  return {};
}

}  // namespace

int node_cpus() {
  const std::set<int> online = parse_cpu_list(read_line("/sys/devices/system/cpu/online"));
  const std::set<int> allowed = cgroup_cpus();
  int count = 0;
  if (!online.empty() && !allowed.empty()) {
    for (const int cpu : allowed) count += online.count(cpu) > 0;
  } else if (!online.empty()) {
    count = static_cast<int>(online.size());
  } else {
    count = get_nprocs();
  }
  return std::max(count, 1);
}

int current_cpu() { return sched_getcpu(); }

std::string cpu_list(const std::set<int>& cpus) {
  std::ostringstream out;
  for (auto it = cpus.begin(); it != cpus.end();) {
    const int first = *it;
    int last = first;
    for (++it; it != cpus.end() && *it == last + 1; ++it) last = *it;
    if (out.tellp() > 0) out << ',';
    out << first;
    if (last > first) out << '-' << last;
  }
  return out.str();
}

double epoch_seconds() {
  return std::chrono::duration<double>(std::chrono::system_clock::now().time_since_epoch()).count();
}

double process_start_epoch() {
  // Field 22 of /proc/self/stat is the start in clock ticks after boot, on the boot-time clock:
  // its age is CLOCK_BOOTTIME now minus that (btime of /proc/stat is whole seconds and drifts
  // from the wall clock). The command name (field 2) may hold spaces: skip past its closing
  // parenthesis.
  const std::string stat = read_line("/proc/self/stat");
  const auto close = stat.rfind(')');
  if (close == std::string::npos) return std::nan("");
  std::istringstream fields(stat.substr(close + 1));
  std::string field;
  for (int i = 3; i <= 22 && fields >> field; ++i) {
  }
  const double ticks = std::strtod(field.c_str(), nullptr);
  const long hz = sysconf(_SC_CLK_TCK);
  timespec boot{};
  if (hz <= 0 || !(ticks > 0) || clock_gettime(CLOCK_BOOTTIME, &boot) != 0) return std::nan("");
  const double age = static_cast<double>(boot.tv_sec) + 1e-9 * static_cast<double>(boot.tv_nsec) -
                     ticks / static_cast<double>(hz);
  return epoch_seconds() - age;
}

LaunchTime launch_time() {
  if (const char* text = std::getenv("SCALESTUDY_LAUNCH_TIME")) {
    char* end = nullptr;
    const double epoch = std::strtod(text, &end);
    if (end != text && *end == '\0' && epoch > 0) return {epoch, "launcher"};
  }
  return {process_start_epoch(), "process_start"};
}

std::vector<HostLoad> host_loads(const std::vector<std::string>& host_of_rank,
                                 const std::vector<int>& threads_of_rank,
                                 const std::vector<int>& cpus_of_rank) {
  if (threads_of_rank.size() != host_of_rank.size() || cpus_of_rank.size() != host_of_rank.size()) {
    throw ConfigError("host_loads: " + std::to_string(host_of_rank.size()) + " hosts, " +
                      std::to_string(threads_of_rank.size()) + " thread counts and " +
                      std::to_string(cpus_of_rank.size()) + " CPU counts; one of each per rank");
  }
  std::vector<HostLoad> loads;
  for (std::size_t r = 0; r < host_of_rank.size(); ++r) {
    auto it = std::find_if(loads.begin(), loads.end(),
                           [&](const HostLoad& load) { return load.host == host_of_rank[r]; });
    if (it == loads.end()) {
      loads.push_back({host_of_rank[r], 0, 0, 0});
      it = loads.end() - 1;
    }
    ++it->ranks;
    it->threads += threads_of_rank[r];
    it->cpus = std::max(it->cpus, cpus_of_rank[r]);
  }
  return loads;
}

HostLoad busiest_host(const std::vector<HostLoad>& loads) {
  HostLoad busiest;
  bool first = true;
  for (const auto& load : loads) {
    const int excess = load.threads - load.cpus;
    const int best = busiest.threads - busiest.cpus;
    if (first || excess > best || (excess == best && load.threads > busiest.threads)) {
      busiest = load;
      first = false;
    }
  }
  return busiest;
}

}  // namespace scalestudy::core
