// connection_pool.h: a bounded pool of libpqxx connections. Connections open lazily, get their
// session settings and prepared statements once, and are checked before each lease (open, nothing
// unread from the server, outside any transaction block), so the pool heals by itself after the
// database restarts and never lends a session with a transaction left open. Acquire waits at most
// acquire_timeout.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <stdexcept>
#include <string>
#include <vector>

#include "adapters/pooled_connection.h"
#include "observability/metrics.h"

namespace inventory {

struct PoolSettings {
  std::string conninfo;
  int size = 8;
  std::chrono::milliseconds acquire_timeout{2000};
  std::chrono::milliseconds statement_timeout{5000};
  int connect_timeout_seconds = 3;
};

// No connection could be leased in time, or the pool is closed.
class PoolUnavailable : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

class ConnectionPool {
 public:
  using Preparer = std::function<void(pqxx::connection_base&)>;

  // A leased connection; returns to the pool when destroyed unless discarded.
  class Lease {
   public:
    Lease(ConnectionPool* pool, std::unique_ptr<PooledConnection> connection);
    Lease(Lease&& other) noexcept;
    Lease(const Lease&) = delete;
    Lease& operator=(const Lease&) = delete;
    Lease& operator=(Lease&&) = delete;
    ~Lease();

    PooledConnection& operator*() const { return *connection_; }
    // The connection is broken: close it instead of returning it.
    void Discard() { discard_ = true; }

   private:
    ConnectionPool* pool_;
    std::unique_ptr<PooledConnection> connection_;
    bool discard_ = false;
  };

  ConnectionPool(PoolSettings settings, Preparer prepare);
  ~ConnectionPool();
  ConnectionPool(const ConnectionPool&) = delete;
  ConnectionPool& operator=(const ConnectionPool&) = delete;

  // Throws PoolUnavailable on timeout, pqxx::broken_connection when the database cannot be reached.
  Lease Acquire();
  PoolUsage Usage() const;
  // Closes idle connections and refuses new leases; leased connections close when returned.
  void Close();

 private:
  std::unique_ptr<PooledConnection> Connect();
  void Return(std::unique_ptr<PooledConnection> connection, bool discard);
  void ForgetSlot();
  void CountLeftInTransaction();

  const PoolSettings settings_;
  const std::string conninfo_;
  const Preparer prepare_;
  mutable std::mutex mutex_;
  std::condition_variable released_;
  std::vector<std::unique_ptr<PooledConnection>> idle_;
  int open_ = 0;
  int in_use_ = 0;
  int waiting_ = 0;
  std::uint64_t acquire_timeouts_ = 0;
  std::uint64_t connect_failures_ = 0;
  std::uint64_t left_in_transaction_ = 0;
  bool closed_ = false;
};

}  // namespace inventory
