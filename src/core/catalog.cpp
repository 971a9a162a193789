// The place where the program's catalog registers itself, and the questions asked of it.
#include "core/catalog.hpp"

#include <stdexcept>

namespace scalestudy::core {
namespace {

Catalog& registered() {
  static Catalog catalog;
  return catalog;
}

const Catalog& catalog() {
  const Catalog& c = registered();
  if (c.parameter_schema == nullptr || c.divides_own_work == nullptr) {
    throw std::logic_error(
        "this program links no parameter catalog: link scalestudy::catalog (point/catalog.cpp) "
        "into it");
  }
  return c;
}

}  // namespace

void register_catalog(const Catalog& c) { registered() = c; }

const std::vector<ParamSpec>& parameter_schema() { return catalog().parameter_schema(); }

bool divides_own_work(const Parameters& point) { return catalog().divides_own_work(point); }

}  // namespace scalestudy::core
