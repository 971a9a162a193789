// Datasets and lists as files: put_dataset writes a file, append_to_list copies it into the
// list's directory, get_datasets_from_list reads the list's files with the reader pool.
#include "store/fs/fs_store.hpp"

#include <algorithm>
#include <filesystem>
#include <optional>

#include "core/error.hpp"
#include "store/fs/dataset_file.hpp"

namespace scalestudy::store::fs {
namespace {

namespace stdfs = std::filesystem;

constexpr const char* kSuffix = ".ds";

/// A complete dataset file of a list directory: "<name>.ds", not hidden (temporary).
bool is_dataset_file(const std::string& file) {
  return !file.empty() && file.front() != '.' && file.size() > 3 &&
         file.compare(file.size() - 3, 3, kSuffix) == 0;
}

}  // namespace

FsStore::FsStore(MPI_Comm comm, std::vector<control::ShardAddress> ranks, std::string root,
                 int reader_threads)
    : session_(comm, std::move(ranks), "fs"),
      root_(std::move(root)),
      reader_threads_(std::max(1, reader_threads)) {}

void FsStore::close() { session_.close(); }

void FsStore::fail(Op op, std::string_view name, const std::string& reason) const {
  throw StoreError(std::string(op_name(op)) + (name.empty() ? "" : " '" + std::string(name) + "'") +
                   " (fs " + root_ + "): " + reason);
}

std::string FsStore::path_name(Op op, std::string_view name) const {
  if (session_.closed()) fail(op, name, "the store was closed");
  if (name.empty() || name.size() > kMaxDataSetNameBytes || name.front() == '.' ||
      name.find_first_of(std::string_view("/\0", 2)) != std::string_view::npos) {
    fail(op, name,
         "bad request: with the fs backend a dataset or list name is a file name: 1 to " +
             std::to_string(kMaxDataSetNameBytes) +
             " bytes, without '/' or NUL, not starting with '.'");
  }
  return std::string(name);
}

std::string FsStore::dataset_path(Op op, std::string_view name) const {
  return root_ + "/datasets/" + path_name(op, name) + kSuffix;
}

std::string FsStore::list_path(Op op, std::string_view list) const {
  return root_ + "/lists/" + path_name(op, list);
}

int FsStore::shard_of(std::string_view) const { return session_.shards().front().shard; }

std::vector<ShardCounters> FsStore::info() {
  ShardCounters counters;
  counters.shard = shard_of("");
  counters.world_rank = session_.shards().front().world_rank;
  std::error_code error;
  for (const auto& entry : stdfs::recursive_directory_iterator(root_, error)) {
    if (!entry.is_regular_file(error) || !is_dataset_file(entry.path().filename().string())) {
      continue;
    }
    ++counters.keys;
    counters.memory_bytes += entry.file_size(error);
  }
  return {counters};
}

void FsStore::put_dataset(const DataSet& dataset) {
  const std::string path = dataset_path(Op::PutDataset, dataset.name());
  try {
    write_dataset_file(path, dataset);
  } catch (const StoreError& error) {
    fail(Op::PutDataset, dataset.name(), error.what());
  }
}

DataSet FsStore::get_dataset(std::string_view name) {
  const std::string path = dataset_path(Op::GetDataset, name);
  bool missing = false;
  try {
    return read_dataset_file(path, dataset_buffers_, &missing);
  } catch (const StoreError& error) {
    fail(Op::GetDataset, name, missing ? "unknown key: no dataset under this name" : error.what());
  }
}

void FsStore::delete_dataset(std::string_view name) {
  std::error_code error;
  if (!stdfs::remove(dataset_path(Op::DeleteDataset, name), error)) {
    fail(Op::DeleteDataset, name,
         error ? error.message() : std::string("unknown key: no dataset under this name"));
  }
}

bool FsStore::dataset_exists(std::string_view name) {
  std::error_code error;
  return stdfs::is_regular_file(dataset_path(Op::DatasetExists, name), error);
}

void FsStore::append_to_list(std::string_view list, const DataSet& dataset) {
  const std::string label = std::string(list) + "', dataset '" + dataset.name();
  const std::string directory = list_path(Op::AppendToList, list);
  const std::string source = dataset_path(Op::AppendToList, dataset.name());
  std::error_code error;
  if (!stdfs::is_regular_file(source, error)) {
    fail(Op::AppendToList, label,
         "unknown key: no dataset '" + dataset.name() +
             "'; put_dataset it before appending it to a list");
  }
  stdfs::create_directories(directory, error);
  if (error) fail(Op::AppendToList, label, "cannot create " + directory + ": " + error.message());
  try {
    copy_file_atomically(source, directory + "/" + dataset.name() + kSuffix);
  } catch (const StoreError& copy_error) {
    fail(Op::AppendToList, label, copy_error.what());
  }
}

std::vector<std::string> FsStore::list_files(const std::string& directory) const {
  std::vector<std::string> files;
  std::error_code error;
  for (const auto& entry : stdfs::directory_iterator(directory, error)) {
    std::string file = entry.path().filename().string();
    if (is_dataset_file(file)) files.push_back(std::move(file));
  }
  std::sort(files.begin(), files.end());
  return files;
}

std::uint64_t FsStore::get_list_length(std::string_view list) {
  return list_files(list_path(Op::ListLength, list)).size();
}

std::vector<DataSet> FsStore::get_datasets_from_list(std::string_view list) {
  const std::string directory = list_path(Op::ListRange, list);
  const std::vector<std::string> files = list_files(directory);
  if (files.empty()) {
    fail(Op::ListRange, list,
         "unknown key: no list under this name (a list exists once a dataset is appended to it, "
         "until it is deleted)");
  }
  if (!pool_) pool_ = std::make_unique<ReaderPool>(reader_threads_);
  std::vector<std::optional<DataSet>> datasets(files.size());
  try {
    pool_->run(files.size(), [&](std::size_t i) {
      datasets[i] = read_dataset_file(directory + "/" + files[i], dataset_buffers_);
    });
  } catch (const StoreError& error) {
    fail(Op::ListRange, list, error.what());
  }
  std::vector<DataSet> out;
  out.reserve(files.size());
  for (auto& dataset : datasets) out.push_back(std::move(*dataset));
  return out;
}

void FsStore::delete_list(std::string_view list) {
  std::error_code error;
  const std::string directory = list_path(Op::DeleteList, list);
  if (list_files(directory).empty() || stdfs::remove_all(directory, error) == 0 || error) {
    fail(Op::DeleteList, list,
         error ? error.message() : std::string("unknown key: no list under this name"));
  }
}

}  // namespace scalestudy::store::fs
