// The client side of the fs backend: datasets as files in a shared directory, lists as
// directories of dataset files, read back by a pool of reader threads.
#pragma once

#include <mpi.h>

#include <memory>
#include <string>
#include <vector>

#include "store/buffer_pool.hpp"
#include "store/control/client_session.hpp"
#include "store/fs/reader_pool.hpp"
#include "store/store.hpp"

namespace scalestudy::store::fs {

/// Directory layout under the shared directory `root`:
///   root/datasets/<dataset>.ds        what put_dataset wrote (dataset_file.hpp's format)
///   root/lists/<list>/<dataset>.ds    a copy per append_to_list (SmartSim-Scaling copies too)
/// Files are written under hidden temporary names and renamed when complete; a list's length is
/// the number of its complete files. A directory has no order: get_datasets_from_list returns
/// the datasets in name order, and a list holds each dataset once.
class FsStore final : public Store {
 public:
  /// Says hello to the coordinating database rank(s) `ranks` over `comm` (so that they wait for
  /// this client's goodbye) and uses `root`. get_datasets_from_list reads with
  /// `reader_threads` threads.
  FsStore(MPI_Comm comm, std::vector<control::ShardAddress> ranks, std::string root,
          int reader_threads);
  /// Says goodbye; never throws.
  ~FsStore() override = default;
  FsStore(const FsStore&) = delete;
  FsStore& operator=(const FsStore&) = delete;

  // Tensors are not stored by this backend: Store's tensor verbs refuse them.
  /// One record: keys = dataset files, memory_bytes = their bytes.
  std::vector<ShardCounters> info() override;

  void put_dataset(const DataSet& dataset) override;
  DataSet get_dataset(std::string_view name) override;
  void delete_dataset(std::string_view name) override;
  bool dataset_exists(std::string_view name) override;
  void append_to_list(std::string_view list, const DataSet& dataset) override;
  std::uint64_t get_list_length(std::string_view list) override;
  std::vector<DataSet> get_datasets_from_list(std::string_view list) override;
  void delete_list(std::string_view list) override;
  int requests_in_flight() const override { return reader_threads_; }
  void close() override;
  std::string_view backend_name() const override { return "fs"; }
  int shard_of(std::string_view key) const override;

  const std::string& root() const { return root_; }

 private:
  /// Throws StoreError("<op> '<name>' (fs <root>): <reason>").
  [[noreturn]] void fail(Op op, std::string_view name, const std::string& reason) const;
  /// `name` as a file or directory name, or StoreError if it cannot be one.
  std::string path_name(Op op, std::string_view name) const;
  std::string dataset_path(Op op, std::string_view name) const;
  std::string list_path(Op op, std::string_view list) const;
  /// The complete dataset files of a list directory, sorted.
  std::vector<std::string> list_files(const std::string& directory) const;

  control::ClientSession session_;
  std::string root_;
  int reader_threads_;
  std::unique_ptr<ReaderPool> pool_;  ///< made on first use
  BufferPool dataset_buffers_;        ///< read datasets' memory, reused once they are dropped
};

}  // namespace scalestudy::store::fs
