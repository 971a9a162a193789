// Datasets and lists over Redis: a dataset is "{name}:meta" (a hash whose field "descriptor"
// holds the dataset's descriptor) beside "{name}.<tensor>" tensor values; a list is a Redis list
// of dataset names. get_datasets_from_list pipelines its commands on every shard at once.
#include <optional>

#include "store/redis/redis_store.hpp"
#include "store/sharding.hpp"

namespace scalestudy::store::redis {
namespace {

constexpr std::string_view kMetaField = "descriptor";

std::string meta_key(std::string_view dataset) {
  std::string key = "{";
  key += dataset;
  key += "}:meta";
  return key;
}

/// Sends items[s] to shards[s] with up to `window` replies outstanding on each connection,
/// reading them shard after shard, one at a time, and refilling each window as it drains: every
/// shard keeps working while another one's replies are read.
template <typename Shards, typename Send, typename Read>
void pipelined(Shards& shards, const std::vector<std::vector<std::size_t>>& items,
               std::size_t window, Send&& send, Read&& read) {
  std::vector<std::size_t> sent(shards.size(), 0);
  std::vector<std::size_t> read_count(shards.size(), 0);
  for (auto& shard : shards) shard.connection->set_pipelining(true);
  try {
    for (std::size_t s = 0; s < shards.size(); ++s) {
      while (sent[s] < items[s].size() && sent[s] < window) send(shards[s], items[s][sent[s]++]);
    }
    for (bool more = true; more;) {
      more = false;
      for (std::size_t s = 0; s < shards.size(); ++s) {
        if (read_count[s] == sent[s]) continue;
        read(shards[s], items[s][read_count[s]++]);
        if (sent[s] < items[s].size()) send(shards[s], items[s][sent[s]++]);
        more = true;
      }
    }
  } catch (...) {
    // Replies still on their way would answer later commands: those connections are done.
    for (std::size_t s = 0; s < shards.size(); ++s) {
      if (read_count[s] != sent[s]) shards[s].connection->abandon("a pipeline failed");
    }
    for (auto& shard : shards) shard.connection->set_pipelining(false);
    throw;
  }
  for (auto& shard : shards) shard.connection->set_pipelining(false);
}

}  // namespace

void RedisStore::put_dataset(const DataSet& dataset) {
  const std::string& name = dataset.name();
  Shard& shard = target(name);
  const std::string meta = meta_key(name);
  const std::string encoded = DataSetDescriptor::of(dataset).encode();
  std::vector<std::string> keys;
  std::vector<TensorHeader> headers;
  for (const auto& t : dataset.tensors()) {
    keys.push_back(dataset_tensor_key(name, t.name));
    TensorHeader header;
    header.dtype = static_cast<std::uint8_t>(t.dtype);
    header.ndim = static_cast<std::uint8_t>(t.dims.size());
    headers.push_back(header);
    const std::uint64_t value_bytes = sizeof(header) + t.dims.size() * 8 + t.bytes;
    if (value_bytes > kMaxValueBytes) {
      fail(shard, Op::PutDataset, name, "SET",
           "tensor '" + t.name + "': a value of " + std::to_string(value_bytes) +
               " bytes exceeds Redis' largest string (proto-max-bulk-len, 512 MB); use backend: "
               "mpi for larger tensors");
    }
  }
  // Tensors first, the descriptor last, in one pipeline: Redis runs them in order, so a reader
  // that finds the descriptor finds the tensors.
  const std::string error = guarded(shard, Op::PutDataset, name, "SET", [&](RedisConnection& c) {
    for (std::size_t i = 0; i < keys.size(); ++i) {
      const auto& t = dataset.tensors()[i];
      c.send({"SET", keys[i]}, {std::as_bytes(std::span(&headers[i], 1)),
                                std::as_bytes(std::span(t.dims.data(), t.dims.size())), t.span()});
    }
    c.send({"HSET", meta, kMetaField}, {std::as_bytes(std::span(encoded))});
    std::string first;
    for (std::size_t i = 0; i <= keys.size(); ++i) {
      const RedisReply reply = c.read_reply();
      if (reply.kind == RedisReply::Kind::Error && first.empty()) first = reply.text;
    }
    return first;
  });
  if (error.empty()) return;
  // A refused dataset is not stored at all.
  std::vector<std::string_view> argv = {"DEL", meta};
  argv.insert(argv.end(), keys.begin(), keys.end());
  guarded(shard, Op::PutDataset, name, "DEL", [&](RedisConnection& c) {
    c.send_argv(argv);
    return c.read_reply();
  });
  fail(shard, Op::PutDataset, name, "SET", error_reply_text(error) + "; the dataset was not stored",
       false);
}

DataSet RedisStore::get_dataset(std::string_view name) {
  return std::move(fetch_datasets({std::string(name)}).front());
}

void RedisStore::delete_dataset(std::string_view name) {
  Shard& shard = target(name);
  const std::string meta = meta_key(name);
  const RedisReply reply =
      checked_command(shard, Op::DeleteDataset, name, {"HGET", meta, kMetaField});
  if (reply.kind != RedisReply::Kind::String) {
    fail(shard, Op::DeleteDataset, name, "HGET", "unknown key: no dataset under this name");
  }
  DataSetDescriptor descriptor;
  try {
    descriptor = DataSetDescriptor::decode(std::as_bytes(std::span(reply.text)));
  } catch (const StoreError& error) {
    fail(shard, Op::DeleteDataset, name, "HGET", error.what());
  }
  std::vector<std::string> keys;
  for (const auto& t : descriptor.tensors) keys.push_back(dataset_tensor_key(name, t.name));
  std::vector<std::string_view> argv = {"DEL", meta};
  argv.insert(argv.end(), keys.begin(), keys.end());
  guarded(shard, Op::DeleteDataset, name, "DEL", [&](RedisConnection& c) {
    c.send_argv(argv);
    return c.read_reply();
  });
}

bool RedisStore::dataset_exists(std::string_view name) {
  const RedisReply reply = checked_command(target(name), Op::DatasetExists, name,
                                           {"HEXISTS", meta_key(name), kMetaField});
  return reply.kind == RedisReply::Kind::Integer && reply.integer != 0;
}

void RedisStore::append_to_list(std::string_view list, const DataSet& dataset) {
  Shard& list_shard = target(list);
  const std::string label = std::string(list) + "', dataset '" + dataset.name();
  if (list.empty())
    fail(list_shard, Op::AppendToList, label, "RPUSH", "bad request: empty list name");
  if (!dataset_exists(dataset.name())) {
    Shard& dataset_shard = target(dataset.name());
    fail(dataset_shard, Op::AppendToList, label, "HEXISTS",
         "unknown key: no dataset '" + dataset.name() + "' on shard " +
             std::to_string(dataset_shard.rank.shard) +
             "; put_dataset it before appending it to a list");
  }
  const RedisReply reply =
      checked_command(list_shard, Op::AppendToList, label, {"RPUSH", list, dataset.name()});
  if (reply.kind != RedisReply::Kind::Integer) {
    fail(list_shard, Op::AppendToList, label, "RPUSH", "unexpected reply '" + reply.text + "'");
  }
}

std::uint64_t RedisStore::get_list_length(std::string_view list) {
  Shard& shard = target(list);
  const RedisReply reply = checked_command(shard, Op::ListLength, list, {"LLEN", list});
  if (reply.kind != RedisReply::Kind::Integer) {
    fail(shard, Op::ListLength, list, "LLEN", "unexpected reply '" + reply.text + "'");
  }
  return static_cast<std::uint64_t>(reply.integer);
}

void RedisStore::delete_list(std::string_view list) {
  Shard& shard = target(list);
  // UNLINK (not DEL, which delete_tensor sends) lets Redis' commandstats count lists apart.
  const RedisReply reply = checked_command(shard, Op::DeleteList, list, {"UNLINK", list});
  if (reply.kind != RedisReply::Kind::Integer || reply.integer == 0) {
    fail(shard, Op::DeleteList, list, "UNLINK", "unknown key: no list under this name");
  }
}

std::vector<DataSet> RedisStore::get_datasets_from_list(std::string_view list) {
  Shard& shard = target(list);
  const RedisReply reply = checked_command(shard, Op::ListRange, list, {"LRANGE", list, "0", "-1"});
  if (reply.kind != RedisReply::Kind::Array) {
    fail(shard, Op::ListRange, list, "LRANGE", "unexpected reply '" + reply.text + "'");
  }
  if (reply.elements.empty()) {
    fail(shard, Op::ListRange, list, "LRANGE",
         "unknown key: no list under this name (a list exists once a dataset is appended to it, "
         "until it is deleted)");
  }
  return fetch_datasets(reply.elements);
}

std::vector<DataSet> RedisStore::fetch_datasets(const std::vector<std::string>& names) {
  const auto window = static_cast<std::size_t>(requests_in_flight_);
  if (names.empty()) return {};
  std::string first_error;
  // Errors Redis answers (a missing dataset) are noted and the pipeline goes on, so that every
  // connection stays in step; a lost connection ends it.
  const auto noting = [&](auto&& body) {
    try {
      body();
    } catch (const RedisConnectionError&) {
      throw;
    } catch (const StoreError& error) {
      if (first_error.empty()) first_error = error.what();
    }
  };
  for (auto& shard : shards_) connection(shard, Op::GetDataset, names.front(), "HGET");

  // 1. Every descriptor.
  std::vector<std::vector<std::size_t>> by_shard(shards_.size());
  for (std::size_t i = 0; i < names.size(); ++i) {
    by_shard[shard_position(names[i], shards_.size())].push_back(i);
  }
  std::vector<std::optional<DataSetDescriptor>> descriptors(names.size());
  std::vector<std::string> metas(names.size());
  const auto send_meta = [&](Shard& shard, std::size_t i) {
    metas[i] = meta_key(names[i]);
    guarded(shard, Op::GetDataset, names[i], "HGET", [&](RedisConnection& c) {
      c.send({"HGET", metas[i], kMetaField});
    });
  };
  const auto read_meta = [&](Shard& shard, std::size_t i) {
    guarded(shard, Op::GetDataset, names[i], "HGET", [&](RedisConnection& c) {
      noting([&] {
        const BulkStart start = c.read_bulk_start();
        if (start.nil) {
          fail(shard, Op::GetDataset, names[i], "HGET", "unknown key: no dataset under this name");
        }
        if (!start.error.empty()) {
          fail(shard, Op::GetDataset, names[i], "HGET", error_reply_text(start.error), false);
        }
        std::string bytes(start.length, '\0');
        c.read_bulk(reinterpret_cast<std::byte*>(bytes.data()), bytes.size());
        c.read_bulk_end();
        try {
          descriptors[i] = DataSetDescriptor::decode(std::as_bytes(std::span(bytes)));
        } catch (const StoreError& error) {
          fail(shard, Op::GetDataset, names[i], "HGET", error.what());
        }
      });
    });
  };
  pipelined(shards_, by_shard, window, send_meta, read_meta);

  // 2. Every tensor, straight into its dataset's buffer.
  struct Item {
    std::size_t dataset;
    std::size_t tensor;
    std::string key;
  };
  std::vector<Item> items;
  std::vector<std::shared_ptr<AlignedBuffer>> buffers(names.size());
  std::vector<std::vector<std::uint64_t>> offsets(names.size());
  for (auto& list : by_shard) list.clear();
  for (std::size_t i = 0; i < names.size(); ++i) {
    if (!descriptors[i]) continue;
    std::uint64_t total = 0;
    offsets[i] = descriptors[i]->offsets(total);
    buffers[i] = dataset_buffers_.acquire(total);
    for (std::size_t t = 0; t < descriptors[i]->tensors.size(); ++t) {
      by_shard[shard_position(names[i], shards_.size())].push_back(items.size());
      items.push_back({i, t, dataset_tensor_key(names[i], descriptors[i]->tensors[t].name)});
    }
  }
  const auto send_tensor = [&](Shard& shard, std::size_t k) {
    guarded(shard, Op::GetDataset, names[items[k].dataset], "GET", [&](RedisConnection& c) {
      c.send({"GET", items[k].key});
    });
  };
  const auto read_tensor = [&](Shard& shard, std::size_t k) {
    const Item& item = items[k];
    const std::string& name = names[item.dataset];
    const auto& expected = descriptors[item.dataset]->tensors[item.tensor];
    guarded(shard, Op::GetDataset, name, "GET", [&](RedisConnection& c) {
      noting([&] {
        TensorHeader header;
        std::vector<std::uint64_t> dims;
        std::uint64_t bytes = 0;
        if (!read_header(shard, Op::GetDataset, name, "GET", header, dims, bytes)) {
          fail(shard, Op::GetDataset, name, "GET",
               "unknown key: its tensor '" + expected.name + "' (key '" + item.key + "') is gone");
        }
        if (header.dtype != static_cast<std::uint8_t>(expected.dtype) || bytes != expected.bytes) {
          c.skip_bulk(bytes);
          c.read_bulk_end();
          fail(shard, Op::GetDataset, name, "GET",
               "mismatch: its tensor '" + expected.name + "' (key '" + item.key +
                   "') was replaced by another shape since put_dataset");
        }
        c.read_bulk(buffers[item.dataset]->data() + offsets[item.dataset][item.tensor], bytes);
        c.read_bulk_end();
      });
    });
  };
  pipelined(shards_, by_shard, window, send_tensor, read_tensor);
  if (!first_error.empty()) throw StoreError(first_error);

  std::vector<DataSet> out;
  out.reserve(names.size());
  for (std::size_t i = 0; i < names.size(); ++i) {
    out.push_back(make_dataset(*descriptors[i], buffers[i], offsets[i]));
  }
  return out;
}

}  // namespace scalestudy::store::redis
