// libtorch helpers shared by TorchRuntime and LocalModel. Internal: this header includes torch,
// so only src/inference/*.cpp may include it (public headers stay torch-free).
#pragma once

#include <ATen/core/ivalue.h>
#include <torch/csrc/jit/api/module.h>

#include <cstdint>
#include <exception>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "store/model_runtime.hpp"
#include "store/tensor.hpp"

namespace scalestudy::inference::detail {

/// The message of `e`: torch's own for a c10::Error (without the C++ backtrace), else what().
std::string error_message(const std::exception& e);

/// The message of the exception being handled (call inside a catch block).
std::string current_error_message();

/// Sets the calling thread's intra-op threads (OpenMP settings are per thread) and, once per
/// process, the inter-op threads: libtorch refuses a second setting, so the first caller wins.
void set_threads(int intra_op_threads, int inter_op_threads);

/// Loads a TorchScript module from its serialized bytes, in eval mode. Throws c10::Error.
torch::jit::Module load_module(std::span<const std::byte> torchscript);

/// Compiles TorchScript source as torch::jit::compile does, and also resolves the dtype names
/// (torch.float32, torch.uint8, ...) that Python's compiler knows and libtorch's native one does
/// not. Throws c10::Error or torch::jit::ErrorReport with the compiler's message.
std::shared_ptr<torch::jit::CompilationUnit> compile_script(std::string_view source);

/// Why `input` cannot be given to torch ("" when it can): sizes that do not match its dims, a
/// dtype torch lacks (uint16), a missing buffer.
std::string input_problem(const store::InputTensor& input);

/// `input` as a torch tensor over its own memory (no copy; a copy only if the data is not aligned
/// for its dtype). Call input_problem first.
at::Tensor wrap_input(const store::InputTensor& input);

/// The tensors a model or script returned: a tensor, or a tuple or list of tensors. Throws
/// StoreError for anything else.
std::vector<at::Tensor> output_tensors(const c10::IValue& output);

/// Rows [first, first + count) of output `index` (all of it when count < 0), copied once into a
/// contiguous store tensor. Throws StoreError for a dtype or rank the store cannot hold.
store::Tensor to_store(const at::Tensor& output, std::size_t index, std::int64_t first = 0,
                       std::int64_t count = -1);

}  // namespace scalestudy::inference::detail
