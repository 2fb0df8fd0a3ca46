// connection_pool.cpp: leasing, the checks before a lease, and reconnection.
#include "adapters/connection_pool.h"

#include "adapters/session_settings.h"

#include <poll.h>

#include <pqxx/except>
#include <pqxx/nontransaction>

namespace inventory {
namespace {

// An idle connection must have nothing to read: readable data or a hang-up means the server has
// closed it (restart, terminate) and it would fail on first use.
bool LooksHealthy(PooledConnection& connection) {
  if (!connection.is_open())
    return false;
  const int socket = connection.sock();
  if (socket < 0)
    return false;
  pollfd descriptor{socket, POLLIN, 0};
  const int ready = ::poll(&descriptor, 1, 0);
  return ready == 0;
}

}  // namespace

ConnectionPool::Lease::Lease(ConnectionPool* pool, std::unique_ptr<PooledConnection> connection)
    : pool_(pool), connection_(std::move(connection)) {}

ConnectionPool::Lease::Lease(Lease&& other) noexcept
    : pool_(other.pool_), connection_(std::move(other.connection_)), discard_(other.discard_) {
  other.pool_ = nullptr;
}

ConnectionPool::Lease::~Lease() {
  if (pool_ != nullptr && connection_)
    pool_->Return(std::move(connection_), discard_ || !connection_->is_open());
}

ConnectionPool::ConnectionPool(PoolSettings settings, Preparer prepare)
    : settings_(std::move(settings)),
      conninfo_(SessionConnInfo(settings_.conninfo, SessionSettings{"rest", settings_.connect_timeout_seconds})),
      prepare_(std::move(prepare)) {}

ConnectionPool::~ConnectionPool() {
  Close();
}

ConnectionPool::Lease ConnectionPool::Acquire() {
  std::unique_ptr<PooledConnection> connection;
  {
    std::unique_lock<std::mutex> lock(mutex_);
    ++waiting_;
    const bool got_slot = released_.wait_for(lock, settings_.acquire_timeout, [this] {
      return closed_ || !idle_.empty() || open_ < settings_.size;
    });
    --waiting_;
    if (closed_)
      throw PoolUnavailable("the service is shutting down");
    if (!got_slot) {
      ++acquire_timeouts_;
      throw PoolUnavailable("no database connection became free within " +
                            std::to_string(settings_.acquire_timeout.count()) + " ms");
    }
    ++in_use_;
    if (!idle_.empty()) {
      connection = std::move(idle_.back());
      idle_.pop_back();
    } else {
      ++open_;
    }
  }
  if (connection && !LooksHealthy(*connection))
    connection.reset();
  if (connection && !connection->OutsideTransaction()) {
    // A transaction block its last user left open (or failed): its locks and snapshot must not
    // pass to another request. Closing the session ends it on the server.
    CountLeftInTransaction();
    connection.reset();
  }
  if (!connection) {
    try {
      connection = Connect();
    } catch (...) {
      ForgetSlot();
      throw;
    }
  }
  return Lease(this, std::move(connection));
}

std::unique_ptr<PooledConnection> ConnectionPool::Connect() {
  auto connection = std::make_unique<PooledConnection>(conninfo_);
  {
    // One round trip, as the SET it replaces: the session's statement timeout, and the one fact
    // about the database that decides how reservation batches are sent (pooled_connection.h).
    pqxx::nontransaction session(*connection);
    const auto row = session.exec1("SELECT set_config('statement_timeout', '" +
                                   std::to_string(settings_.statement_timeout.count()) +
                                   "', false), EXISTS (SELECT FROM pg_extension WHERE extname = 'citus')");
    connection->RememberCitusInstalled(row[1].as<bool>());
  }
  prepare_(*connection);
  return connection;
}

// ForgetSlot gives back the slot of a connection that could not be opened.
void ConnectionPool::ForgetSlot() {
  std::lock_guard<std::mutex> lock(mutex_);
  --open_;
  --in_use_;
  ++connect_failures_;
  released_.notify_one();
}

void ConnectionPool::CountLeftInTransaction() {
  std::lock_guard<std::mutex> lock(mutex_);
  ++left_in_transaction_;
}

void ConnectionPool::Return(std::unique_ptr<PooledConnection> connection, bool discard) {
  std::unique_lock<std::mutex> lock(mutex_);
  --in_use_;
  if (discard || closed_) {
    --open_;
    lock.unlock();
    connection.reset();
  } else {
    idle_.push_back(std::move(connection));
    lock.unlock();
  }
  released_.notify_one();
}

PoolUsage ConnectionPool::Usage() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return PoolUsage{settings_.size, open_, in_use_, waiting_, acquire_timeouts_, connect_failures_, left_in_transaction_};
}

void ConnectionPool::Close() {
  std::vector<std::unique_ptr<PooledConnection>> closing;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    closed_ = true;
    open_ -= static_cast<int>(idle_.size());
    closing.swap(idle_);
  }
  released_.notify_all();
  closing.clear();
}

}  // namespace inventory
