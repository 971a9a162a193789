// Store verbs with a backend-independent implementation.
#include "store/store.hpp"

#include "core/error.hpp"
#include "store/dataset.hpp"

#include <cerrno>
#include <chrono>
#include <cstring>
#include <fstream>
#include <sstream>
#include <thread>

namespace scalestudy::store {

double steady_seconds() {
  return std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch()).count();
}

void check_model_options(std::string_view key, const ModelOptions& options) {
  if (options.instances < 1 || options.threads_per_queue < 1 || options.max_batch_size < 0 ||
      options.max_queue_delay_us < 0) {
    throw StoreError(
        "set_model '" + std::string(key) + "': instances (" + std::to_string(options.instances) +
        ") and threads_per_queue (" + std::to_string(options.threads_per_queue) +
        ") must be at least 1, max_batch_size (" + std::to_string(options.max_batch_size) +
        ") and max_queue_delay_us (" + std::to_string(options.max_queue_delay_us) + ") at least 0");
  }
}

const char* op_name(Op op) {
  switch (op) {
    case Op::Hello:
      return "hello";
    case Op::Goodbye:
      return "goodbye";
    case Op::PutTensor:
      return "put_tensor";
    case Op::GetTensor:
      return "get_tensor";
    case Op::UnpackTensor:
      return "unpack_tensor";
    case Op::DeleteTensor:
      return "delete_tensor";
    case Op::TensorExists:
      return "tensor_exists";
    case Op::Info:
      return "info";
    case Op::RawBegin:
      return "raw_begin";
    case Op::SetModel:
      return "set_model";
    case Op::SetScript:
      return "set_script";
    case Op::RunModel:
      return "run_model";
    case Op::RunScript:
      return "run_script";
    case Op::ModelExists:
      return "model_exists";
    case Op::PutDataset:
      return "put_dataset";
    case Op::GetDataset:
      return "get_dataset";
    case Op::DeleteDataset:
      return "delete_dataset";
    case Op::DatasetExists:
      return "dataset_exists";
    case Op::AppendToList:
      return "append_to_list";
    case Op::ListLength:
      return "get_list_length";
    case Op::ListRange:
      return "get_datasets_from_list";
    case Op::DeleteList:
      return "delete_list";
  }
  return "unknown";
}

namespace {

/// Throws StoreError("<op> '<key>': the <backend> backend <lacks>; <what to do>").
[[noreturn]] void not_served(const Store& store, Op op, std::string_view key,
                             std::string_view lacks, std::string_view what_to_do) {
  throw StoreError(std::string(op_name(op)) + " '" + std::string(key) + "': the " +
                   std::string(store.backend_name()) + " backend " + std::string(lacks) + "; " +
                   std::string(what_to_do));
}

[[noreturn]] void no_runtime(const Store& store, Op op, std::string_view key) {
  not_served(store, op, key,
             "has no model runtime (models run on the database ranks of the mpi backend)",
             "use backend: mpi for inference");
}

[[noreturn]] void no_tensors(const Store& store, Op op, std::string_view key) {
  not_served(store, op, key, "stores no tensors",
             "use a backend that does (scalestudy-rank --help lists them)");
}

[[noreturn]] void no_datasets(const Store& store, Op op, std::string_view name) {
  not_served(store, op, name, "stores no datasets or lists",
             "use a backend that does (scalestudy-rank --help lists them)");
}

std::string read_whole_file(const std::string& path, Op op, std::string_view key) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    throw StoreError(std::string(op_name(op)) + " '" + std::string(key) + "': cannot read " + path +
                     ": " + std::strerror(errno));
  }
  std::ostringstream bytes;
  bytes << in.rdbuf();
  return bytes.str();
}

/// Checks `ready` up to `tries` times, sleeping `interval_ms` in between.
template <typename Ready>
bool poll_until(Ready&& ready, int interval_ms, int tries) {
  for (int attempt = 0; attempt < tries; ++attempt) {
    if (ready()) return true;
    if (attempt + 1 < tries) std::this_thread::sleep_for(std::chrono::milliseconds(interval_ms));
  }
  return false;
}

}  // namespace

void Store::put_tensor(std::string_view key, const void*, Dims, DType) {
  no_tensors(*this, Op::PutTensor, key);
}

void Store::unpack_tensor(std::string_view key, void*, Dims, DType) {
  no_tensors(*this, Op::UnpackTensor, key);
}

Tensor Store::get_tensor(std::string_view key) { no_tensors(*this, Op::GetTensor, key); }

void Store::delete_tensor(std::string_view key) { no_tensors(*this, Op::DeleteTensor, key); }

bool Store::tensor_exists(std::string_view key) { no_tensors(*this, Op::TensorExists, key); }

void Store::put_dataset(const DataSet& dataset) {
  no_datasets(*this, Op::PutDataset, dataset.name());
}

DataSet Store::get_dataset(std::string_view name) { no_datasets(*this, Op::GetDataset, name); }

void Store::delete_dataset(std::string_view name) { no_datasets(*this, Op::DeleteDataset, name); }

bool Store::dataset_exists(std::string_view name) { no_datasets(*this, Op::DatasetExists, name); }

void Store::append_to_list(std::string_view list, const DataSet&) {
  no_datasets(*this, Op::AppendToList, list);
}

std::uint64_t Store::get_list_length(std::string_view list) {
  no_datasets(*this, Op::ListLength, list);
}

std::vector<DataSet> Store::get_datasets_from_list(std::string_view list) {
  no_datasets(*this, Op::ListRange, list);
}

void Store::delete_list(std::string_view list) { no_datasets(*this, Op::DeleteList, list); }

void Store::set_model(std::string_view key, std::span<const std::byte>, const ModelOptions&) {
  no_runtime(*this, Op::SetModel, key);
}

void Store::set_model_from_file(std::string_view key, const std::string& path,
                                const ModelOptions& options) {
  const std::string bytes = read_whole_file(path, Op::SetModel, key);
  set_model(key, std::as_bytes(std::span(bytes.data(), bytes.size())), options);
}

void Store::set_script(std::string_view key, std::string_view) {
  no_runtime(*this, Op::SetScript, key);
}

void Store::set_script_from_file(std::string_view key, const std::string& path) {
  set_script(key, read_whole_file(path, Op::SetScript, key));
}

void Store::run_model(std::string_view key, const std::vector<std::string>&,
                      const std::vector<std::string>&) {
  no_runtime(*this, Op::RunModel, key);
}

void Store::run_script(std::string_view key, std::string_view, const std::vector<std::string>&,
                       const std::vector<std::string>&) {
  no_runtime(*this, Op::RunScript, key);
}

bool Store::model_exists(std::string_view key) { no_runtime(*this, Op::ModelExists, key); }

bool Store::poll_model(std::string_view key, int interval_ms, int tries) {
  return poll_until([&] { return model_exists(key); }, interval_ms, tries);
}

bool Store::poll_list_length(std::string_view list, std::uint64_t length, int interval_ms,
                             int tries) {
  return poll_until([&] { return get_list_length(list) == length; }, interval_ms, tries);
}

bool Store::poll_key(std::string_view key, int interval_ms, int tries) {
  return poll_until([&] { return tensor_exists(key); }, interval_ms, tries);
}

}  // namespace scalestudy::store
