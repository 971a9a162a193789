// The Store interface: the SmartRedis-like verbs workloads call, whatever the backend.
#pragma once

#include <array>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "store/dataset.hpp"
#include "store/model_runtime.hpp"
#include "store/tensor.hpp"

namespace scalestudy::store {

/// Request kinds a database rank counts (index of ShardCounters::requests_by_op).
enum class Op : std::uint8_t {
  Hello = 1,
  Goodbye = 2,
  PutTensor = 3,
  GetTensor = 4,
  UnpackTensor = 5,
  DeleteTensor = 6,
  TensorExists = 7,
  Info = 8,
  RawBegin = 9,
  SetModel = 10,
  SetScript = 11,
  RunModel = 12,
  RunScript = 13,
  ModelExists = 14,
  PutDataset = 15,
  GetDataset = 16,
  DeleteDataset = 17,
  DatasetExists = 18,
  AppendToList = 19,
  ListLength = 20,
  ListRange = 21,  ///< get_datasets_from_list's first step: the dataset names of a list
  DeleteList = 22,
};
inline constexpr std::size_t kOpCount = 23;  ///< codes 0..22 (0 unused)

/// "put_tensor", ...
const char* op_name(Op op);

/// What a database rank has done so far (the `info` verb, and the results file's /database).
struct ShardCounters {
  std::int32_t shard = -1;
  std::int32_t world_rank = -1;
  std::uint64_t keys = 0;
  std::uint64_t memory_bytes = 0;       ///< tensor memory held now
  std::uint64_t peak_memory_bytes = 0;  ///< most tensor memory held at once
  std::uint64_t max_memory_bytes = 0;   ///< db_max_memory (0: no limit)
  std::uint64_t requests = 0;
  std::uint64_t errors = 0;  ///< requests answered with an error
  std::uint64_t bytes_in = 0;
  std::uint64_t bytes_out = 0;
  std::array<std::uint64_t, kOpCount> requests_by_op{};
};

/// A client's connection to the database. Not thread-safe: one Store per client thread.
/// The verbs of a service a backend does not serve (tensors, datasets and lists, models: its
/// Backend::serves) keep their defaults, which throw StoreError naming the op, the key and the
/// backend.
class Store {
 public:
  virtual ~Store() = default;

  /// Stores a copy of the tensor at `data` under `key`, replacing what was there.
  /// Throws StoreError (e.g. out of memory under db_max_memory) naming op, key and shard.
  virtual void put_tensor(std::string_view key, const void* data, Dims dims, DType dtype);

  /// Copies the tensor under `key` into `out`, which holds `dims` elements of `dtype`. The
  /// stored tensor must have the same dtype and element count (its shape may differ, as in
  /// SmartRedis' contiguous unpack). Throws StoreError on an unknown key or a mismatch.
  virtual void unpack_tensor(std::string_view key, void* out, Dims dims, DType dtype);

  /// Returns a copy of the tensor under `key`. Throws StoreError on an unknown key.
  virtual Tensor get_tensor(std::string_view key);

  /// Removes `key`. Throws StoreError if it does not exist.
  virtual void delete_tensor(std::string_view key);

  /// Whether `key` holds a tensor.
  virtual bool tensor_exists(std::string_view key);

  /// Checks tensor_exists up to `tries` times, sleeping `interval_ms` in between.
  virtual bool poll_key(std::string_view key, int interval_ms, int tries);

  /// Counters of every shard this client may use.
  virtual std::vector<ShardCounters> info() = 0;

  /// Loads the TorchScript model `key` (serialized bytes) on every shard this client may use,
  /// served with `options`. Throws StoreError with the runtime's message, or when the backend
  /// has no model runtime.
  virtual void set_model(std::string_view key, std::span<const std::byte> model,
                         const ModelOptions& options);

  /// set_model with the bytes of the file at `path`.
  void set_model_from_file(std::string_view key, const std::string& path,
                           const ModelOptions& options);

  /// Compiles the TorchScript source `source` as `key` on every shard this client may use.
  virtual void set_script(std::string_view key, std::string_view source);

  /// set_script with the text of the file at `path`.
  void set_script_from_file(std::string_view key, const std::string& path);

  /// Runs model `key` on the tensors under `inputs`, storing its outputs under `outputs`. All
  /// inputs and outputs must be on one shard (give them a common {hash tag}); the model runs
  /// there. Throws StoreError with the runtime's message (wrong shape, missing model, ...).
  virtual void run_model(std::string_view key, const std::vector<std::string>& inputs,
                         const std::vector<std::string>& outputs);

  /// Runs `function` of script `key` like run_model.
  virtual void run_script(std::string_view key, std::string_view function,
                          const std::vector<std::string>& inputs,
                          const std::vector<std::string>& outputs);

  /// Whether a model or script `key` is loaded on the shards this client may use.
  virtual bool model_exists(std::string_view key);

  /// Checks model_exists up to `tries` times, sleeping `interval_ms` in between.
  bool poll_model(std::string_view key, int interval_ms, int tries);

  /// Stores `dataset` (its tensors and metadata) on the shard of its name, replacing a dataset
  /// of that name. Tensors go straight from their memory above the inline threshold. Throws
  /// StoreError naming op, dataset and shard; a refused dataset is not stored at all.
  virtual void put_dataset(const DataSet& dataset);

  /// The dataset called `name`, owning its tensors (one buffer). Throws StoreError if there is
  /// none.
  virtual DataSet get_dataset(std::string_view name);

  /// Removes dataset `name` and its tensors. Throws StoreError if there is none.
  virtual void delete_dataset(std::string_view name);

  /// Whether a dataset called `name` is stored.
  virtual bool dataset_exists(std::string_view name);

  /// Appends the name of `dataset` to list `list` (on the shard of the list's name; the
  /// dataset may be on any shard). The dataset must have been put: appending one that is not
  /// stored is refused with a StoreError (SmartRedis appends anything, and its users trip on
  /// it).
  virtual void append_to_list(std::string_view list, const DataSet& dataset);

  /// Datasets named in `list` (0 when there is no such list: lists exist while they hold
  /// something).
  virtual std::uint64_t get_list_length(std::string_view list);

  /// Checks get_list_length up to `tries` times, sleeping `interval_ms` in between, until it
  /// equals `length` (SmartRedis' poll_list_length). Returns whether it did.
  bool poll_list_length(std::string_view list, std::uint64_t length, int interval_ms, int tries);

  /// Every dataset named in `list`, in list order, fetched from all their shards at once with
  /// up to `requests_in_flight()` requests outstanding. Throws StoreError if the list does not
  /// exist or names a dataset that is gone (after every request in flight has completed).
  virtual std::vector<DataSet> get_datasets_from_list(std::string_view list);

  /// Removes list `list` (not the datasets it names). Throws StoreError if there is none.
  virtual void delete_list(std::string_view list);

  /// Requests get_datasets_from_list keeps outstanding (the client_threads parameter).
  virtual int requests_in_flight() const { return 1; }

  /// Says goodbye to the database ranks now (idempotent); later calls fail. The destructor
  /// does it too. Throws MpiError.
  virtual void close() {}

  /// The backend's name, for messages ("mpi", "redis").
  virtual std::string_view backend_name() const = 0;

  /// Index (in the job's shard numbering) of the shard that holds `key` for this client.
  virtual int shard_of(std::string_view key) const = 0;
};

}  // namespace scalestudy::store
