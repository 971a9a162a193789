// The scalestudy Python extension (_scalestudy): store verbs over numpy arrays without copies,
// and run_point with a Python consumer loop, so that a Python rank takes part in a point's job
// exactly as a C++ consumer rank does (layout, communicators, the collective results file).
#include <pybind11/functional.h>
#include <pybind11/numpy.h>
#include <pybind11/pybind11.h>
#include <pybind11/stl.h>

#include <cstdio>
#include <memory>
#include <string>
#include <variant>
#include <vector>

#include "core/error.hpp"
#include "core/mpi_runtime.hpp"
#include "core/parameters.hpp"
#include "point/run_point.hpp"
#include "store/store.hpp"
#include "study/point_file.hpp"
#include "workloads/aggregation.hpp"
#include "workloads/workload.hpp"

namespace py = pybind11;

namespace scalestudy::python {
namespace {

using store::DataSet;
using store::DType;
using store::Store;

/// numpy's name of a dtype: scalestudy's names are numpy's.
const char* numpy_format(DType dtype) { return store::dtype_name(dtype); }

DType dtype_of(const py::array& array) {
  for (const DType dtype : store::kAllDTypes) {
    if (array.dtype().is(py::dtype(numpy_format(dtype)))) return dtype;
  }
  throw py::type_error(
      "scalestudy stores float32, float64, int8, int16, int32, int64, uint8 "
      "and uint16 arrays, not " +
      std::string(py::str(array.dtype())));
}

std::vector<std::uint64_t> dims_of(const py::array& array) {
  if (!(array.flags() & py::array::c_style)) {
    throw py::value_error("scalestudy needs C-contiguous arrays (numpy.ascontiguousarray)");
  }
  std::vector<std::uint64_t> dims;
  for (py::ssize_t d = 0; d < array.ndim(); ++d) {
    dims.push_back(static_cast<std::uint64_t>(array.shape(d)));
  }
  if (dims.empty()) dims.push_back(1);  // a numpy scalar array is one element
  return dims;
}

/// A read-only numpy array over `bytes` of `dtype` and `dims`, kept alive by `owner`.
py::array view(DType dtype, const std::vector<std::uint64_t>& dims, const std::byte* data,
               std::shared_ptr<const void> owner) {
  std::vector<py::ssize_t> shape(dims.begin(), dims.end());
  auto* holder = new std::shared_ptr<const void>(std::move(owner));
  py::capsule base(holder, [](void* p) { delete static_cast<std::shared_ptr<const void>*>(p); });
  py::array array(py::dtype(numpy_format(dtype)), shape, data, base);
  array.attr("flags").attr("writeable") = false;
  return array;
}

/// Keeps a Python object alive from C++ (the array a dataset refers to); the last reference
/// may go from any thread, so the GIL is taken to drop it.
std::shared_ptr<const void> keep_alive(py::object object) {
  auto* held = new py::object(std::move(object));
  return std::shared_ptr<const void>(held, [](const void* p) {
    py::gil_scoped_acquire gil;
    delete static_cast<const py::object*>(p);
  });
}

py::object parameter_value(const core::ParamValue& value) {
  return std::visit([](const auto& v) -> py::object { return py::cast(v); }, value);
}

/// What a Python consumer loop gets: its place in the job, the store, the recorder.
class ConsumerContext {
 public:
  explicit ConsumerContext(workloads::WorkloadContext& context) : context_(context) {}

  py::dict parameters() const {
    py::dict out;
    for (const auto& [name, entry] : context_.params.entries()) {
      out[py::str(name)] = parameter_value(entry.value);
    }
    return out;
  }
  int index() const { return context_.client; }
  int producers() const { return context_.layout.client_count(); }
  int consumers() const { return context_.layout.consumer_count(); }
  /// The consumer ranks' communicator as a Fortran handle (mpi4py: MPI.Intracomm.f2py).
  long comm_handle() const { return static_cast<long>(MPI_Comm_c2f(context_.clients)); }

  std::shared_ptr<Store> connect() {
    std::shared_ptr<Store> store = context_.backend.connect(context_.backend_context);
    stores_.push_back(store);
    return store;
  }
  /// Says goodbye for every store the loop connected (the database ranks wait for it).
  void close_stores() {
    for (const auto& store : stores_) store->close();
  }

  int add_operation(const std::string& name, std::size_t samples, std::size_t warmup,
                    std::uint64_t bytes) {
    return context_.recorder.add(name, samples, warmup, bytes);
  }
  void record(int op, std::size_t sample, double seconds) {
    check(op, sample);
    context_.recorder.record(op, sample, seconds);
  }
  void fail(int op, std::size_t sample) {
    check(op, sample);
    context_.recorder.fail(op, sample);
  }
  int poll_interval_ms() const { return workloads::poll_interval_ms(context_.params); }
  std::string check_aggregation(std::size_t iteration, const std::vector<DataSet>& datasets) {
    return workloads::check_aggregation(context_.params, producers(), iteration, datasets);
  }

 private:
  void check(int op, std::size_t sample) const {
    const auto& series = context_.recorder.series();
    if (op < 0 || static_cast<std::size_t>(op) >= series.size() ||
        sample >= series[static_cast<std::size_t>(op)].seconds.size()) {
      throw py::index_error("no sample " + std::to_string(sample) + " of operation " +
                            std::to_string(op));
    }
  }

  workloads::WorkloadContext& context_;
  std::vector<std::shared_ptr<Store>> stores_;
};

/// scalestudy-rank's parameters from "--point FILE" and "--name value" arguments.
core::Parameters parse_arguments(const std::vector<std::string>& args) {
  core::Parameters params;
  std::vector<std::pair<std::string, std::string>> flags;
  for (std::size_t i = 0; i < args.size(); ++i) {
    const std::string& arg = args[i];
    if (arg.rfind("--", 0) != 0 || i + 1 == args.size()) {
      throw ConfigError("expected '--point FILE' or '--<parameter> VALUE', got '" + arg + "'");
    }
    const std::string name = arg.substr(2);
    const std::string& value = args[++i];
    if (name == "point") {
      study::apply_point_file(value, params);
    } else {
      flags.emplace_back(name, value);
    }
  }
  for (const auto& [name, value] : flags) params.set(name, value, "--" + name);
  return params;
}

/// Runs one point as a consumer rank whose loop is `consumer(context)`. ConfigError (raised
/// identically on every rank before any work) comes back as scalestudy.ConfigError; any other
/// failure prints why and aborts the whole job, so that no rank waits in a collective.
void run_point(const std::vector<std::string>& args, const py::function& consumer) {
  int initialized = 0;
  MPI_Initialized(&initialized);
  if (!initialized) {
    throw ConfigError("MPI is not initialised: import mpi4py.MPI before scalestudy.run_point");
  }
  core::Parameters params;
  std::string command_line = "python3 -m scalestudy.consumer";
  for (const auto& arg : args) command_line += " " + arg;
  params = parse_arguments(args);
  try {
    py::gil_scoped_release released;
    point::run_point(params, command_line, [&](workloads::WorkloadContext& context) {
      py::gil_scoped_acquire gil;
      ConsumerContext session(context);
      try {
        consumer(py::cast(&session, py::return_value_policy::reference));
      } catch (...) {
        session.close_stores();
        throw;
      }
      session.close_stores();
    });
  } catch (const ConfigError&) {
    throw;
  } catch (py::error_already_set& error) {
    py::gil_scoped_acquire gil;
    error.restore();
    PyErr_Print();
    core::abort_job("the Python consumer loop raised (traceback above)");
  } catch (const std::exception& error) {
    core::abort_job(error.what());
  }
}

}  // namespace
}  // namespace scalestudy::python

PYBIND11_MODULE(_scalestudy, m) {
  using namespace scalestudy;
  using namespace scalestudy::python;
  m.doc() = "scalestudy's store verbs and point runner for Python consumer ranks";

  py::register_exception<ConfigError>(m, "ConfigError");
  py::register_exception<StoreError>(m, "StoreError");

  py::class_<DataSet>(m, "DataSet", "A named group of tensors and string metadata.")
      .def(py::init<std::string>(), py::arg("name"))
      .def_property_readonly("name", &DataSet::name)
      .def(
          "add_tensor",
          [](DataSet& dataset, const std::string& name, const py::array& array) {
            const auto dims = dims_of(array);
            dataset.add_tensor(name, array.data(), dims, dtype_of(array), keep_alive(array));
          },
          py::arg("name"), py::arg("array"),
          "Adds a C-contiguous array as tensor `name` without copying it (the dataset keeps "
          "it alive).")
      .def(
          "get_tensor",
          [](const DataSet& dataset, const std::string& name) {
            const auto& t = dataset.tensor(name);
            if (t.owner) return view(t.dtype, t.dims, t.data, t.owner);
            // Memory the dataset does not keep alive: hand out a copy.
            py::array copy(py::dtype(numpy_format(t.dtype)),
                           std::vector<py::ssize_t>(t.dims.begin(), t.dims.end()));
            std::memcpy(copy.mutable_data(), t.data, t.bytes);
            return copy;
          },
          py::arg("name"), "Tensor `name` as a read-only array over the dataset's memory.")
      .def("tensor_names",
           [](const DataSet& dataset) {
             std::vector<std::string> names;
             for (const auto& t : dataset.tensors()) names.push_back(t.name);
             return names;
           })
      .def("add_meta_string", &DataSet::add_meta_string, py::arg("field"), py::arg("value"))
      .def("get_meta_strings", &DataSet::get_meta_strings, py::arg("field"))
      .def_property_readonly("payload_bytes", &DataSet::payload_bytes)
      .def("__repr__", [](const DataSet& dataset) {
        return "<scalestudy.DataSet '" + dataset.name() + "', " +
               std::to_string(dataset.tensors().size()) + " tensors>";
      });

  const auto released = py::call_guard<py::gil_scoped_release>();
  py::class_<store::Store, std::shared_ptr<store::Store>>(m, "Store",
                                                          "A connection to the point's store.")
      .def(
          "put_tensor",
          [](Store& store, const std::string& key, const py::array& array) {
            const auto dims = dims_of(array);
            const DType dtype = dtype_of(array);
            py::gil_scoped_release gil;
            store.put_tensor(key, array.data(), dims, dtype);
          },
          py::arg("key"), py::arg("array"))
      .def(
          "unpack_tensor",
          [](Store& store, const std::string& key, py::array& out) {
            const auto dims = dims_of(out);
            const DType dtype = dtype_of(out);
            void* data = out.mutable_data();
            py::gil_scoped_release gil;
            store.unpack_tensor(key, data, dims, dtype);
          },
          py::arg("key"), py::arg("out"))
      .def(
          "get_tensor",
          [](Store& store, const std::string& key) {
            auto tensor = std::make_shared<store::Tensor>();
            {
              py::gil_scoped_release gil;
              *tensor = store.get_tensor(key);
            }
            return view(tensor->dtype, tensor->dims, tensor->data.data(), tensor);
          },
          py::arg("key"))
      .def("delete_tensor", &Store::delete_tensor, py::arg("key"), released)
      .def("tensor_exists", &Store::tensor_exists, py::arg("key"), released)
      .def("poll_key", &Store::poll_key, py::arg("key"), py::arg("interval_ms"), py::arg("tries"),
           released)
      .def("put_dataset", &Store::put_dataset, py::arg("dataset"), released)
      .def("get_dataset", &Store::get_dataset, py::arg("name"), released)
      .def("delete_dataset", &Store::delete_dataset, py::arg("name"), released)
      .def("dataset_exists", &Store::dataset_exists, py::arg("name"), released)
      .def("append_to_list", &Store::append_to_list, py::arg("list"), py::arg("dataset"), released)
      .def("get_list_length", &Store::get_list_length, py::arg("list"), released)
      .def("poll_list_length", &Store::poll_list_length, py::arg("list"), py::arg("length"),
           py::arg("interval_ms"), py::arg("tries"), released)
      .def("get_datasets_from_list", &Store::get_datasets_from_list, py::arg("list"), released)
      .def("delete_list", &Store::delete_list, py::arg("list"), released)
      .def("close", &Store::close, released)
      .def_property_readonly("requests_in_flight", &Store::requests_in_flight)
      .def_property_readonly("backend",
                             [](const Store& store) { return std::string(store.backend_name()); });

  py::class_<ConsumerContext>(m, "ConsumerContext",
                              "A consumer rank's view of its point: parameters, store, recorder.")
      .def_property_readonly("parameters", &ConsumerContext::parameters)
      .def_property_readonly("index", &ConsumerContext::index)
      .def_property_readonly("producers", &ConsumerContext::producers)
      .def_property_readonly("consumers", &ConsumerContext::consumers)
      .def_property_readonly("comm_handle", &ConsumerContext::comm_handle)
      .def("connect", &ConsumerContext::connect,
           "Connects to the store (closed for you when the loop returns).")
      .def("add_operation", &ConsumerContext::add_operation, py::arg("name"), py::arg("samples"),
           py::arg("warmup") = 0, py::arg("bytes") = 0)
      .def("record", &ConsumerContext::record, py::arg("op"), py::arg("sample"), py::arg("seconds"))
      .def("fail", &ConsumerContext::fail, py::arg("op"), py::arg("sample"))
      .def("poll_interval_ms", &ConsumerContext::poll_interval_ms)
      .def("check_aggregation", &ConsumerContext::check_aggregation, py::arg("iteration"),
           py::arg("datasets"),
           "What differs between fetched datasets and what the producers put ('' if nothing).");

  m.def("run_point", &run_point, py::arg("args"), py::arg("consumer"),
        "Runs one point (scalestudy-rank's --point FILE and --<parameter> VALUE arguments) as a "
        "consumer rank whose loop is consumer(context).");
}
