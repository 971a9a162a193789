// LocalModel and LocalScript: TorchScript run in-process on the calling thread.
#include "inference/local_model.hpp"

#include <c10/core/InferenceMode.h>

#include <cstring>
#include <fstream>
#include <iterator>
#include <sstream>
#include <utility>

#include "core/error.hpp"
#include "inference/impl/torch_util.hpp"

namespace scalestudy::inference {
namespace {

LocalThreads checked(LocalThreads threads, const std::string& what) {
  if (threads.intra_op < 1 || threads.inter_op < 1) {
    throw WorkloadError(what + ": intra_op (" + std::to_string(threads.intra_op) +
                        ") and inter_op (" + std::to_string(threads.inter_op) +
                        ") threads must be at least 1");
  }
  return threads;
}

std::string read_file(const std::string& path, const std::string& what) {
  std::ifstream file(path, std::ios::binary);
  if (!file) throw WorkloadError(what + ": cannot open " + path);
  std::string text{std::istreambuf_iterator<char>(file), std::istreambuf_iterator<char>()};
  if (file.bad()) throw WorkloadError(what + ": cannot read " + path);
  return text;
}

// Calls `invoke` on `input` (read in place) on this thread with `threads`, and returns the first
// output, float32 and contiguous. Throws WorkloadError naming `what`.
template <typename Invoke>
at::Tensor first_output(const std::string& what, LocalThreads threads, std::span<const float> input,
                        store::Dims dims, Invoke&& invoke) {
  store::InputTensor tensor;
  tensor.dims.assign(dims.begin(), dims.end());
  tensor.data = reinterpret_cast<const std::byte*>(input.data());
  tensor.bytes = input.size_bytes();
  if (const std::string problem = detail::input_problem(tensor); !problem.empty()) {
    throw WorkloadError(what + ": " + problem);
  }
  at::Tensor first;
  try {
    detail::set_threads(threads.intra_op, threads.inter_op);
    const c10::InferenceMode inference_mode;
    const c10::IValue result = invoke(std::vector<c10::IValue>{detail::wrap_input(tensor)});
    first = detail::output_tensors(result).at(0).contiguous();
  } catch (...) {
    throw WorkloadError(what + ": " + detail::current_error_message());
  }
  if (first.scalar_type() != c10::ScalarType::Float) {
    throw WorkloadError(what + ": output 0 has dtype " + c10::toString(first.scalar_type()) +
                        ", not float32");
  }
  return first;
}

// Copies `first` into `output`, which must hold exactly its elements, and returns its dims.
std::vector<std::uint64_t> copy_out(const std::string& what, const at::Tensor& first,
                                    std::span<float> output) {
  if (static_cast<std::size_t>(first.numel()) != output.size()) {
    throw WorkloadError(what + ": output 0 has shape " + c10::str(first.sizes()) + " (" +
                        std::to_string(first.numel()) + " floats) but the buffer holds " +
                        std::to_string(output.size()));
  }
  std::memcpy(output.data(), first.data_ptr(), output.size_bytes());
  return {first.sizes().begin(), first.sizes().end()};
}

std::vector<float> to_vector(const at::Tensor& first) {
  const float* data = first.data_ptr<float>();
  return {data, data + first.numel()};
}

}  // namespace

struct LocalModel::Impl {
  torch::jit::Module module;
  LocalThreads threads;
  at::Tensor forward(std::span<const float> input, store::Dims dims);
};

LocalModel::LocalModel(std::span<const std::byte> torchscript, LocalThreads threads)
    : impl_(std::make_unique<Impl>()) {
  impl_->threads = checked(threads, "local model");
  try {
    impl_->module = detail::load_module(torchscript);
  } catch (...) {
    throw WorkloadError("local model: " + std::to_string(torchscript.size()) +
                        " bytes that libtorch cannot load as a TorchScript model: " +
                        detail::current_error_message());
  }
}

LocalModel LocalModel::from_file(const std::string& path, LocalThreads threads) {
  const std::string bytes = read_file(path, "local model");
  return LocalModel(std::as_bytes(std::span(bytes)), threads);
}

LocalModel::LocalModel(LocalModel&&) noexcept = default;
LocalModel& LocalModel::operator=(LocalModel&&) noexcept = default;
LocalModel::~LocalModel() = default;

at::Tensor LocalModel::Impl::forward(std::span<const float> input, store::Dims dims) {
  return first_output("local model", threads, input, dims, [this](std::vector<c10::IValue> in) {
    return module.forward(std::move(in));
  });
}

std::vector<std::uint64_t> LocalModel::run(std::span<const float> input, store::Dims dims,
                                           std::span<float> output) {
  return copy_out("local model", impl_->forward(input, dims), output);
}

std::vector<float> LocalModel::run(std::span<const float> input, store::Dims dims) {
  return to_vector(impl_->forward(input, dims));
}

struct LocalScript::Impl {
  std::shared_ptr<torch::jit::CompilationUnit> unit;
  LocalThreads threads;
  at::Tensor call(const std::string& function, std::span<const float> input, store::Dims dims);
};

LocalScript::LocalScript(std::string_view source, LocalThreads threads)
    : impl_(std::make_unique<Impl>()) {
  impl_->threads = checked(threads, "local script");
  try {
    impl_->unit = detail::compile_script(source);
  } catch (...) {
    throw WorkloadError("local script: TorchScript does not compile: " +
                        detail::current_error_message());
  }
}

LocalScript LocalScript::from_file(const std::string& path, LocalThreads threads) {
  return LocalScript(read_file(path, "local script"), threads);
}

LocalScript::LocalScript(LocalScript&&) noexcept = default;
LocalScript& LocalScript::operator=(LocalScript&&) noexcept = default;
LocalScript::~LocalScript() = default;

at::Tensor LocalScript::Impl::call(const std::string& function, std::span<const float> input,
                                   store::Dims dims) {
  const std::string what = "local script function '" + function + "'";
  torch::jit::Function* callee = unit->find_function(function);
  if (callee == nullptr) throw WorkloadError(what + ": the script has no such function");
  return first_output(what, threads, input, dims,
                      [callee](std::vector<c10::IValue> in) { return (*callee)(std::move(in)); });
}

std::vector<std::uint64_t> LocalScript::run(const std::string& function,
                                            std::span<const float> input, store::Dims dims,
                                            std::span<float> output) {
  return copy_out("local script function '" + function + "'", impl_->call(function, input, dims),
                  output);
}

std::vector<float> LocalScript::run(const std::string& function, std::span<const float> input,
                                    store::Dims dims) {
  return to_vector(impl_->call(function, input, dims));
}

}  // namespace scalestudy::inference
