// One dataset as one file: its descriptor, then its tensors laid out exactly as a fetched
// dataset's buffer, so that one read() fills that buffer.
#pragma once

#include <string>

#include "store/buffer_pool.hpp"
#include "store/dataset.hpp"

namespace scalestudy::store::fs {

/// File format (an improvement on SmartSim-Scaling's name/length/float list, which carries no
/// dtype, shape or metadata): the dataset's descriptor (DataSetDescriptor, starting with the
/// magic "SSDS" and its own size), zero bytes up to the next multiple of 64, then the tensors,
/// each at its DataSetDescriptor::offsets position relative to that point. A file is complete
/// exactly when its size is that of its descriptor's layout.

/// Writes `dataset` to `path` through a hidden temporary file in the same directory, renamed to
/// `path` when complete: a reader never sees a partial file. Tensors go from their memory to the
/// file (writev), not through a staging buffer. Throws StoreError naming the path and the reason.
void write_dataset_file(const std::string& path, const DataSet& dataset);

/// Reads the dataset file at `path` (its tensors land in one buffer from `buffers`, read in one
/// go). Throws StoreError naming the path: missing (with `missing` true), unreadable or malformed.
DataSet read_dataset_file(const std::string& path, BufferPool& buffers, bool* missing = nullptr);

/// Copies the file `from` to `to` through a hidden temporary file renamed into place (the
/// kernel copies: copy_file_range/sendfile). Throws StoreError naming both paths.
void copy_file_atomically(const std::string& from, const std::string& to);

/// "<directory>/.<name>.tmp.<pid>.<n>": a temporary name no reader counts (it starts with '.').
std::string temporary_path(const std::string& path);

}  // namespace scalestudy::store::fs
