// The redis backend's entry in the backend table.
#pragma once

#include "store/backend.hpp"

namespace scalestudy::store::redis {

/// Factories for the redis backend: database ranks run redis-server, clients use hiredis.
Backend backend();

}  // namespace scalestudy::store::redis
