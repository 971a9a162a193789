// Store verbs with a backend-independent implementation.
#include "store/store.hpp"

#include <chrono>
#include <thread>

namespace scalestudy::store {

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
  }
  return "unknown";
}

bool Store::poll_key(std::string_view key, int interval_ms, int tries) {
  for (int attempt = 0; attempt < tries; ++attempt) {
    if (tensor_exists(key)) return true;
    if (attempt + 1 < tries) std::this_thread::sleep_for(std::chrono::milliseconds(interval_ms));
  }
  return false;
}

}  // namespace scalestudy::store
