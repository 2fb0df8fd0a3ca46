// main.cpp: the only place where inventory-svc is wired together: configuration, logging, the
// connection pool, the repository, the domain service, the routes, the HTTP endpoint and the
// shutdown sequence (SIGTERM/SIGINT: unready and refuse new work, finish in-flight requests, stop
// the endpoint, close the pool, exit 0).
#include <csignal>
#include <cstdio>
#include <iostream>
#include <thread>

#include "adapters/connection_pool.h"
#include "adapters/postgres_inventory_repository.h"
#include "adapters/prepared_statements.h"
#include "config/service_config.h"
#include "domain/inventory_service.h"
#include "handlers/operations_handlers.h"
#include "handlers/pistache_endpoint.h"
#include "handlers/request_pipeline.h"
#include "handlers/reservation_handlers.h"
#include "handlers/router.h"
#include "handlers/stock_handlers.h"
#include "observability/json_logger.h"
#include "observability/metrics.h"

namespace {

// Blocks the shutdown signals in this thread and, by inheritance, in every thread started later,
// so that only sigwait() in main sees them.
sigset_t BlockShutdownSignals() {
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGTERM);
  sigaddset(&signals, SIGINT);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);
  return signals;
}

int Run(const inventory::ServiceConfig& config, inventory::JsonLogger& logger, const sigset_t& signals) {
  using namespace inventory;
  if (config.auth_disabled) {
    logger.Warn("authentication is off (AUTH_MODE=off): every client may read and change stock");
  }
  if (config.kafka_bootstrap_servers) {
    logger.Warn("KAFKA_BOOTSTRAP_SERVERS is set but this build has no Kafka support yet; Kafka stays off");
  }

  ConnectionPool pool(PoolSettings{config.database_url, config.db_pool_size, config.db_acquire_timeout,
                                   config.db_statement_timeout, config.db_connect_timeout_seconds},
                      statement::PrepareAll);
  PostgresInventoryRepository repository(pool);
  InventoryService service(repository);
  Metrics metrics;
  metrics.SetPoolUsageSource([&pool] { return pool.Usage(); });
  std::atomic<bool> draining{false};

  Router router;
  AddOperationsRoutes(router,
                      OperationsContext{repository, metrics, config.expected_extension_version, draining});
  AddStockRoutes(router, service);
  AddReservationRoutes(router, service, metrics);
  RequestPipeline pipeline(router, metrics, logger,
                           PipelineSettings{config.max_body_bytes, config.retry_after_seconds}, draining);

  PistacheEndpoint endpoint(pipeline,
                            EndpointSettings{config.http_host, config.http_port, config.http_threads,
                                             config.max_body_bytes, config.retry_after_seconds});
  const auto port = endpoint.Start();
  logger.Lifecycle("listening", {{"host", config.http_host},
                                 {"port", port},
                                 {"threads", config.http_threads},
                                 {"db_pool_size", config.db_pool_size},
                                 {"max_body_bytes", config.max_body_bytes}});

  int signal_number = 0;
  sigwait(&signals, &signal_number);
  logger.Lifecycle("shutting down", {{"signal", signal_number == SIGTERM ? "SIGTERM" : "SIGINT"},
                                     {"in_flight", pipeline.InFlight()}});
  // From here new requests get 503 and /ready reports unready; requests already running finish
  // and are answered before the endpoint stops (Pistache drops responses still queued at Stop()).
  draining = true;
  const auto deadline = std::chrono::steady_clock::now() + config.shutdown_timeout;
  while (pipeline.InFlight() > 0 && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  endpoint.Stop();
  pool.Close();
  logger.Lifecycle("stopped", {{"unfinished_requests", pipeline.InFlight()}});
  return 0;
}

}  // namespace

int main() {
  const sigset_t signals = BlockShutdownSignals();
  inventory::ServiceConfig config;
  try {
    config = inventory::LoadServiceConfig(inventory::ProcessEnvironment());
  } catch (const inventory::ConfigError& error) {
    std::cerr << "inventory-svc: invalid configuration: " << error.what() << std::endl;
    return 2;
  }
  inventory::JsonLogger logger(config.log_level);
  try {
    return Run(config, logger, signals);
  } catch (const std::exception& error) {
    logger.Error("inventory-svc failed to start or stop", {{"error", error.what()}});
    return 1;
  }
}
