// libtorch helpers shared by TorchRuntime and LocalModel: threads, loading, tensor conversions.
#include "inference/impl/torch_util.hpp"

#include <ATen/Functions.h>
#include <ATen/Parallel.h>
#include <c10/util/Exception.h>
#include <torch/csrc/jit/frontend/resolver.h>
#include <torch/csrc/jit/frontend/sugared_value.h>
#include <torch/csrc/jit/serialization/import.h>

#include <algorithm>
#include <array>
#include <cctype>
#include <cstring>
#include <limits>
#include <map>
#include <mutex>
#include <sstream>

#include "core/error.hpp"

namespace scalestudy::inference::detail {
namespace {

// The store's dtypes that libtorch has (1.13 has no unsigned 16-bit type), both ways.
constexpr std::array<std::pair<store::DType, c10::ScalarType>, 7> kDTypes = {{
    {store::DType::Float32, c10::ScalarType::Float},
    {store::DType::Float64, c10::ScalarType::Double},
    {store::DType::Int8, c10::ScalarType::Char},
    {store::DType::Int16, c10::ScalarType::Short},
    {store::DType::Int32, c10::ScalarType::Int},
    {store::DType::Int64, c10::ScalarType::Long},
    {store::DType::UInt8, c10::ScalarType::Byte},
}};

std::optional<c10::ScalarType> torch_dtype(store::DType dtype) {
  for (const auto& [ours, theirs] : kDTypes) {
    if (ours == dtype) return theirs;
  }
  return std::nullopt;
}

std::optional<store::DType> store_dtype(c10::ScalarType type) {
  for (const auto& [ours, theirs] : kDTypes) {
    if (theirs == type) return ours;
  }
  return std::nullopt;
}

std::optional<c10::ScalarType> dtype_named(const std::string& name) {
  static const std::map<std::string, c10::ScalarType, std::less<>> kNames = {
      {"float32", c10::ScalarType::Float},     {"float", c10::ScalarType::Float},
      {"float64", c10::ScalarType::Double},    {"double", c10::ScalarType::Double},
      {"float16", c10::ScalarType::Half},      {"half", c10::ScalarType::Half},
      {"bfloat16", c10::ScalarType::BFloat16}, {"uint8", c10::ScalarType::Byte},
      {"int8", c10::ScalarType::Char},         {"int16", c10::ScalarType::Short},
      {"short", c10::ScalarType::Short},       {"int32", c10::ScalarType::Int},
      {"int", c10::ScalarType::Int},           {"int64", c10::ScalarType::Long},
      {"long", c10::ScalarType::Long},         {"bool", c10::ScalarType::Bool}};
  const auto found = kNames.find(name);
  if (found == kNames.end()) return std::nullopt;
  return found->second;
}

// `torch` in a script: aten's operators as for libtorch's native resolver, and the dtype names,
// which TorchScript represents as integer constants (as Python's resolver does).
struct TorchNamespace : torch::jit::BuiltinModule {
  TorchNamespace() : BuiltinModule("aten") {}
  std::shared_ptr<torch::jit::SugaredValue> attr(const torch::jit::SourceRange& loc,
                                                 torch::jit::GraphFunction& function,
                                                 const std::string& field) override {
    if (const auto dtype = dtype_named(field)) {
      const auto code = static_cast<std::int64_t>(*dtype);
      return std::make_shared<torch::jit::SimpleValue>(function.graph()->insertConstant(code, loc));
    }
    return BuiltinModule::attr(loc, function, field);
  }
};

struct ScriptResolver : torch::jit::NativeResolver {
  std::shared_ptr<torch::jit::SugaredValue> resolveValue(
      const std::string& name, torch::jit::GraphFunction& function,
      const torch::jit::SourceRange& loc) override {
    if (name == "torch") return std::make_shared<TorchNamespace>();
    return NativeResolver::resolveValue(name, function, loc);
  }
};

// An error raised inside the TorchScript interpreter comes after two tracebacks (the serialized
// code's and the Python source's, e.g. make_models.py's lines): keep only the error, from its last
// "SomethingError: " line on, which is what a client can act on.
std::string without_script_traceback(std::string message) {
  if (message.find("Traceback of TorchScript") == std::string::npos) return message;
  std::size_t keep = std::string::npos;
  for (std::size_t line = 0; line < message.size();) {
    const std::size_t end = std::min(message.find('\n', line), message.size());
    const std::size_t colon = message.find(": ", line);
    if (colon < end) {
      const std::string_view name(message.data() + line, colon - line);
      const bool identifier = std::all_of(name.begin(), name.end(), [](char c) {
        return std::isalnum(static_cast<unsigned char>(c)) != 0 || c == '_' || c == '.';
      });
      if (identifier && (name.ends_with("Error") || name.ends_with("Exception"))) {
        keep = colon + 2;
      }
    }
    line = end + 1;
  }
  if (keep == std::string::npos) return message;
  message.erase(0, keep);
  while (!message.empty() && std::isspace(static_cast<unsigned char>(message.back())) != 0) {
    message.pop_back();
  }
  return message;
}

}  // namespace

std::string error_message(const std::exception& e) {
  if (const auto* torch_error = dynamic_cast<const c10::Error*>(&e)) {
    return without_script_traceback(torch_error->what_without_backtrace());
  }
  return without_script_traceback(e.what());
}

std::string current_error_message() {
  try {
    throw;
  } catch (const std::exception& e) {
    return error_message(e);
  } catch (...) {
    return "unknown exception (not derived from std::exception)";
  }
}

void set_threads(int intra_op_threads, int inter_op_threads) {
  static std::once_flag inter_op_once;
  std::call_once(inter_op_once, [inter_op_threads] {
    try {
      at::set_num_interop_threads(inter_op_threads);
    } catch (const c10::Error&) {
      // Inter-op work has already started in this process: its pool keeps its size.
    }
  });
  if (at::get_num_threads() != intra_op_threads) at::set_num_threads(intra_op_threads);
}

torch::jit::Module load_module(std::span<const std::byte> torchscript) {
  std::istringstream stream(
      std::string(reinterpret_cast<const char*>(torchscript.data()), torchscript.size()));
  torch::jit::Module module = torch::jit::load(stream);
  module.eval();
  return module;
}

std::shared_ptr<torch::jit::CompilationUnit> compile_script(std::string_view source) {
  auto unit = std::make_shared<torch::jit::CompilationUnit>();
  unit->define(c10::nullopt, std::string(source), std::make_shared<ScriptResolver>(), nullptr);
  return unit;
}

std::string input_problem(const store::InputTensor& input) {
  const std::string text = store::tensor_text(input.dtype, input.dims, input.bytes);
  if (!torch_dtype(input.dtype)) {
    return std::string("input ") + text + ": libtorch has no " + store::dtype_name(input.dtype) +
           " type; store it as int32 or float32";
  }
  std::uint64_t expected = 0;
  try {
    expected = store::tensor_bytes(input.dims, input.dtype);
  } catch (const StoreError& e) {
    return "input " + text + ": " + e.what();
  }
  for (const std::uint64_t d : input.dims) {
    if (d > static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max())) {
      return "input " + text + ": a dimension exceeds torch's int64 sizes";
    }
  }
  if (expected != input.bytes) {
    return "input " + text + ": its dims need " + std::to_string(expected) + " bytes";
  }
  if (input.data == nullptr && input.bytes > 0) return "input " + text + ": no data";
  return {};
}

at::Tensor wrap_input(const store::InputTensor& input) {
  std::vector<std::int64_t> sizes(input.dims.begin(), input.dims.end());
  const auto options = at::TensorOptions().dtype(*torch_dtype(input.dtype));
  const auto address = reinterpret_cast<std::uintptr_t>(input.data);
  if (input.bytes == 0 || address % store::dtype_size(input.dtype) != 0) {
    at::Tensor copy = at::empty(sizes, options);
    if (input.bytes > 0) std::memcpy(copy.data_ptr(), input.data, input.bytes);
    return copy;
  }
  // The store never writes a buffer a job holds (InputTensor::owner), and models treat their
  // inputs as read-only, so the const_cast only satisfies from_blob's signature.
  return at::from_blob(const_cast<std::byte*>(input.data), sizes, options);
}

std::vector<at::Tensor> output_tensors(const c10::IValue& output) {
  std::vector<at::Tensor> tensors;
  const auto add = [&tensors](const c10::IValue& value) {
    if (!value.isTensor()) {
      throw StoreError("output " + std::to_string(tensors.size()) + " is a " + value.tagKind() +
                       ", not a tensor");
    }
    tensors.push_back(value.toTensor());
  };
  if (output.isTensor()) {
    add(output);
  } else if (output.isTuple()) {
    for (const c10::IValue& value : output.toTupleRef().elements()) add(value);
  } else if (output.isList()) {
    for (const c10::IValue& value : output.toListRef()) add(value);
  } else {
    throw StoreError("the call returned a " + output.tagKind() +
                     "; a model or script must return a tensor or a tuple or list of tensors");
  }
  return tensors;
}

store::Tensor to_store(const at::Tensor& output, std::size_t index, std::int64_t first,
                       std::int64_t count) {
  const std::string name = "output " + std::to_string(index);
  const auto dtype = store_dtype(output.scalar_type());
  if (!dtype) {
    throw StoreError(name + " has dtype " + std::string(c10::toString(output.scalar_type())) +
                     ", which the store cannot hold; convert it in the model (e.g. to float32)");
  }
  const auto rank = static_cast<std::size_t>(output.dim());
  if (rank == 0 || rank > store::kMaxDims) {
    throw StoreError(name + " has " + std::to_string(rank) + " dimensions; the store holds 1 to " +
                     std::to_string(store::kMaxDims));
  }
  const at::Tensor dense = output.contiguous();
  const at::Tensor rows = count < 0 ? dense : dense.narrow(0, first, count);
  store::Tensor tensor;
  tensor.dtype = *dtype;
  tensor.dims.assign(rows.sizes().begin(), rows.sizes().end());
  tensor.data = store::AlignedBuffer(rows.nbytes());
  // Rows of a contiguous tensor are one contiguous range: a single copy.
  if (rows.nbytes() > 0) std::memcpy(tensor.data.data(), rows.data_ptr(), rows.nbytes());
  return tensor;
}

}  // namespace scalestudy::inference::detail
