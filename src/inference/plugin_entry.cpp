// The entry point of libscalestudy_torch.so: LocalModel, LocalScript and the model runtime
// behind the torch-free TorchPlugin table.
#include <string>
#include <utility>

#include "inference/local_model.hpp"
#include "inference/plugin.hpp"
#include "inference/torch_runtime.hpp"

namespace scalestudy::inference {
namespace {

class Model final : public InProcessFunction {
 public:
  explicit Model(LocalModel model) : model_(std::move(model)) {}
  std::vector<std::uint64_t> run(std::span<const float> input, store::Dims dims,
                                 std::span<float> output) override {
    return model_.run(input, dims, output);
  }
  std::vector<float> run(std::span<const float> input, store::Dims dims) override {
    return model_.run(input, dims);
  }

 private:
  LocalModel model_;
};

class ScriptFunction final : public InProcessFunction {
 public:
  ScriptFunction(LocalScript script, std::string function)
      : script_(std::move(script)), function_(std::move(function)) {}
  std::vector<std::uint64_t> run(std::span<const float> input, store::Dims dims,
                                 std::span<float> output) override {
    return script_.run(function_, input, dims, output);
  }
  std::vector<float> run(std::span<const float> input, store::Dims dims) override {
    return script_.run(function_, input, dims);
  }

 private:
  LocalScript script_;
  std::string function_;
};

const TorchPlugin kPlugin{
    kTorchPluginVersion,
    &make_torch_runtime,
    [](const std::string& path, LocalThreads threads) -> std::unique_ptr<InProcessFunction> {
      return std::make_unique<Model>(LocalModel::from_file(path, threads));
    },
    [](const std::string& path, const std::string& function,
       LocalThreads threads) -> std::unique_ptr<InProcessFunction> {
      return std::make_unique<ScriptFunction>(LocalScript::from_file(path, threads), function);
    },
};

}  // namespace
}  // namespace scalestudy::inference

extern "C" __attribute__((visibility("default"))) const scalestudy::inference::TorchPlugin*
scalestudy_torch_plugin() {
  return &scalestudy::inference::kPlugin;
}
