// Dataset files: writev out, one pread in, hidden temporary names renamed into place.
#include "store/fs/dataset_file.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <vector>

#include "core/error.hpp"

namespace scalestudy::store::fs {
namespace {

namespace stdfs = std::filesystem;

/// Bytes of the descriptor region: the descriptor padded to kDataSetAlignment.
std::uint64_t padded(std::uint64_t bytes) {
  return (bytes + kDataSetAlignment - 1) / kDataSetAlignment * kDataSetAlignment;
}

[[noreturn]] void fail(const std::string& what, const std::string& path, int error) {
  throw StoreError(what + " " + path + ": " + std::strerror(error));
}

/// Closes a file descriptor on scope exit.
struct Fd {
  int fd = -1;
  ~Fd() {
    if (fd >= 0) ::close(fd);
  }
};

void write_all(int fd, std::vector<iovec> iov, const std::string& path) {
  std::size_t first = 0;
  while (first < iov.size()) {
    const auto count = static_cast<int>(std::min<std::size_t>(iov.size() - first, IOV_MAX));
    const ssize_t written = ::writev(fd, iov.data() + first, count);
    if (written < 0) {
      if (errno == EINTR) continue;
      fail("cannot write", path, errno);
    }
    auto left = static_cast<std::size_t>(written);
    while (first < iov.size() && left >= iov[first].iov_len) left -= iov[first++].iov_len;
    if (first < iov.size()) {
      iov[first].iov_base = static_cast<char*>(iov[first].iov_base) + left;
      iov[first].iov_len -= left;
    }
  }
}

void read_all(int fd, std::byte* out, std::uint64_t bytes, std::uint64_t offset,
              const std::string& path) {
  std::uint64_t done = 0;
  while (done < bytes) {
    const ssize_t got = ::pread(fd, out + done, bytes - done, static_cast<off_t>(offset + done));
    if (got < 0) {
      if (errno == EINTR) continue;
      fail("cannot read", path, errno);
    }
    if (got == 0) throw StoreError("cannot read " + path + ": the file ends early");
    done += static_cast<std::uint64_t>(got);
  }
}

}  // namespace

std::string temporary_path(const std::string& path) {
  static std::atomic<std::uint64_t> counter{0};
  const stdfs::path target(path);
  std::string name = ".";
  name += target.filename().string();
  name += ".tmp.";
  name += std::to_string(::getpid());
  name += '.';
  name += std::to_string(counter.fetch_add(1));
  return (target.parent_path() / name).string();
}

void write_dataset_file(const std::string& path, const DataSet& dataset) {
  const DataSetDescriptor descriptor = DataSetDescriptor::of(dataset);
  const std::string encoded = descriptor.encode();
  std::uint64_t total = 0;
  const std::vector<std::uint64_t> offsets = descriptor.offsets(total);
  static const std::byte kZeros[kDataSetAlignment] = {};
  std::vector<iovec> iov;
  iov.push_back({const_cast<char*>(encoded.data()), encoded.size()});
  iov.push_back({const_cast<std::byte*>(kZeros), padded(encoded.size()) - encoded.size()});
  std::uint64_t position = 0;
  for (std::size_t i = 0; i < offsets.size(); ++i) {
    const auto& t = dataset.tensors()[i];
    if (t.bytes > 0) iov.push_back({const_cast<std::byte*>(t.data), t.bytes});
    position = offsets[i] + t.bytes;
    const std::uint64_t next = i + 1 < offsets.size() ? offsets[i + 1] : total;
    if (next > position) iov.push_back({const_cast<std::byte*>(kZeros), next - position});
  }
  const std::string temporary = temporary_path(path);
  {
    Fd file{::open(temporary.c_str(), O_CREAT | O_WRONLY | O_TRUNC | O_CLOEXEC, 0644)};
    if (file.fd < 0) fail("cannot create", temporary, errno);
    try {
      write_all(file.fd, std::move(iov), temporary);
    } catch (...) {
      ::unlink(temporary.c_str());
      throw;
    }
    if (::close(file.fd) != 0) {
      file.fd = -1;
      const int error = errno;
      ::unlink(temporary.c_str());
      fail("cannot close", temporary, error);
    }
    file.fd = -1;
  }
  if (::rename(temporary.c_str(), path.c_str()) != 0) {
    const int error = errno;
    ::unlink(temporary.c_str());
    fail("cannot rename " + temporary + " to", path, error);
  }
}

DataSet read_dataset_file(const std::string& path, BufferPool& buffers, bool* missing) {
  if (missing != nullptr) *missing = false;
  Fd file{::open(path.c_str(), O_RDONLY | O_CLOEXEC)};
  if (file.fd < 0) {
    if (missing != nullptr) *missing = errno == ENOENT;
    fail("cannot open", path, errno);
  }
  struct stat info {};
  if (::fstat(file.fd, &info) != 0) fail("cannot stat", path, errno);
  const auto size = static_cast<std::uint64_t>(info.st_size);
  try {
    std::vector<std::byte> head(std::min<std::uint64_t>(size, 4096));
    read_all(file.fd, head.data(), head.size(), 0, path);
    const std::uint64_t descriptor_bytes = DataSetDescriptor::encoded_size(head);
    if (descriptor_bytes > head.size()) {
      head.resize(std::min(descriptor_bytes, size));
      read_all(file.fd, head.data(), head.size(), 0, path);
    }
    const DataSetDescriptor descriptor = DataSetDescriptor::decode(head);
    std::uint64_t total = 0;
    const std::vector<std::uint64_t> offsets = descriptor.offsets(total);
    const std::uint64_t data_start = padded(descriptor_bytes);
    if (size != data_start + total) {
      throw StoreError("the file has " + std::to_string(size) + " bytes but dataset '" +
                       descriptor.name + "' takes " + std::to_string(data_start + total));
    }
    auto buffer = buffers.acquire(total);
    read_all(file.fd, buffer->data(), total, data_start, path);
    return make_dataset(descriptor, std::move(buffer), offsets);
  } catch (const StoreError& error) {
    if (std::string_view(error.what()).find(path) != std::string_view::npos) throw;
    throw StoreError("malformed dataset file " + path + ": " + error.what());
  }
}

void copy_file_atomically(const std::string& from, const std::string& to) {
  const std::string temporary = temporary_path(to);
  std::error_code error;
  stdfs::copy_file(from, temporary, stdfs::copy_options::overwrite_existing, error);
  if (error) {
    const std::string reason = error.message();
    stdfs::remove(temporary, error);
    throw StoreError("cannot copy " + from + " to " + temporary + ": " + reason);
  }
  if (::rename(temporary.c_str(), to.c_str()) != 0) {
    const int code = errno;
    ::unlink(temporary.c_str());
    fail("cannot rename " + temporary + " to", to, code);
  }
}

}  // namespace scalestudy::store::fs
