// main.cpp: the only place where inventory-svc is wired together: configuration, logging, the
// connection pool, the repository, the database executor and the reservation coalescer, the domain
// service, the routes, the HTTP endpoint and the shutdown sequence (SIGTERM/SIGINT: unready and
// refuse new work, answer every queued and running request, stop the endpoint, close the pool,
// exit 0).
#include <csignal>
#include <cstdio>
#include <iostream>
#include <thread>

#include "adapters/call_watchdog.h"
#include "adapters/connection_pool.h"
#include "adapters/postgres_dead_letter_repository.h"
#include "adapters/postgres_inventory_repository.h"
#include "adapters/prepared_statements.h"
#include "auth/jwks_fetch.h"
#include "auth/jwks_key_store.h"
#include "auth/jwt_authenticator.h"
#include "auth/request_authorizer.h"
#include "config/kafka_settings.h"
#include "config/security_settings.h"
#include "config/service_config.h"
#include "consumer/dead_letter_publisher.h"
#include "consumer/order_consumer.h"
#include "consumer/postgres_dead_letter_store.h"
#include "consumer/postgres_order_event_store.h"
#include "domain/inventory_service.h"
#include "execution/bounded_executor.h"
#include "execution/clock.h"
#include "execution/reservation_coalescer.h"
#include "handlers/dead_letter_handlers.h"
#include "handlers/operations_handlers.h"
#include "handlers/pistache_endpoint.h"
#include "handlers/request_pipeline.h"
#include "handlers/reservation_handlers.h"
#include "handlers/router.h"
#include "handlers/stock_handlers.h"
#include "kafka/kafka_message_source.h"
#include "kafka/kafka_publisher.h"
#include "observability/execution_metrics.h"
#include "observability/json_logger.h"
#include "observability/metrics.h"
#include "relay/outbox_relay.h"
#include "relay/postgres_outbox_session.h"

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

// The authentication chain: JWKS source -> key store (with its refresher thread) -> JWT
// authenticator -> request authorizer. With AUTH_MODE=off only the authorizer exists (no
// authenticator), which still keeps write and admin routes off the public listener.
struct Authentication {
  std::unique_ptr<inventory::JwksKeyStore> keys;
  std::unique_ptr<inventory::JwtAuthenticator> authenticator;
  std::unique_ptr<inventory::RequestAuthorizer> authorizer;
};

Authentication StartAuthentication(const inventory::SecuritySettings& security,
                                   inventory::JsonLogger& logger) {
  using namespace inventory;
  Authentication authentication;
  const AuthorizerSettings authorizer_settings{AccessPolicySettings{security.stock_reads_public},
                                               security.internal_port.has_value()};
  if (security.auth_mode == AuthMode::Off) {
    logger.Warn(
        "authentication is off (AUTH_MODE=off): every client may read and change stock; set "
        "AUTH_MODE=jwt with AUTH_JWKS_FILE or AUTH_JWKS_URL, AUTH_ISSUER and AUTH_AUDIENCE to require "
        "tokens");
    authentication.authorizer = std::make_unique<RequestAuthorizer>(nullptr, authorizer_settings);
    return authentication;
  }
  JwksKeyStore::Fetch fetch;
  std::string source;
  if (!security.jwks_url.empty()) {
    const std::string url = security.jwks_url;
    fetch = [url] { return FetchJwksUrl(url, std::chrono::seconds(5)); };
    source = url;
  } else {
    const std::string path = security.jwks_file;
    fetch = [path] { return ReadJwksFile(path); };
    source = path;
  }
  authentication.keys = std::make_unique<JwksKeyStore>(
      fetch, KeyStoreSettings{security.jwks_refresh_interval, security.jwks_min_refresh_gap},
      [&logger, source](bool ok, const std::string& message) {
        if (ok)
          logger.Info("jwks", {{"source", source}, {"result", message}});
        else
          logger.Warn("jwks: " + message, {{"source", source}});
      });
  // A JWKS file must be right at start; a JWKS URL may be down for a moment (the identity provider
  // restarting), so the service starts, refuses tokens, and the refresher keeps trying.
  if (!authentication.keys->Refresh() && security.jwks_url.empty())
    throw std::runtime_error("AUTH_JWKS_FILE holds no usable RS256 or ES256 signing key");
  authentication.keys->Start();
  authentication.authenticator = std::make_unique<JwtAuthenticator>(
      *authentication.keys,
      JwtSettings{security.issuer, security.audience, security.clock_skew, security.actor_claim});
  authentication.authorizer =
      std::make_unique<RequestAuthorizer>(authentication.authenticator.get(), authorizer_settings);
  logger.Lifecycle("authentication", {{"mode", "jwt"},
                                      {"jwks", source},
                                      {"issuer", security.issuer},
                                      {"audience", security.audience},
                                      {"public_stock_reads", security.stock_reads_public}});
  return authentication;
}

std::optional<inventory::TlsSettings> ListenerTls(const inventory::SecuritySettings& security,
                                                  const std::string& client_ca_file) {
  if (!security.tls)
    return std::nullopt;
  return inventory::TlsSettings{security.tls->certificate_file, security.tls->key_file, client_ca_file};
}

int Run(const inventory::ServiceConfig& config, const inventory::KafkaSettings& kafka,
        const inventory::SecuritySettings& security, inventory::JsonLogger& logger, const sigset_t& signals) {
  using namespace inventory;
  const Authentication authentication = StartAuthentication(security, logger);
  if (!config.kafka_bootstrap_servers)
    logger.Info("KAFKA_BOOTSTRAP_SERVERS is not set: the Kafka consumer and the outbox relay are off");

  ConnectionPool pool(PoolSettings{config.database_url, config.db_pool_size, config.db_acquire_timeout,
                                   config.db_statement_timeout, config.db_connect_timeout_seconds},
                      statement::PrepareAll);
  PostgresInventoryRepository repository(pool);
  PostgresDeadLetterRepository dead_letters(pool);
  InventoryService service(repository);
  // One worker per pooled connection: a worker never waits for a connection, and the pool never
  // has more statements in flight than it has connections.
  const SteadyClock clock;
  BoundedExecutor executor(ExecutorSettings{config.db_pool_size, config.db_queue_size}, clock);
  ReservationCoalescer coalescer(repository, executor, clock,
                                 CoalescerSettings{config.reservation_lanes, config.reservation_batch_max,
                                                   config.reservation_queue_size, config.db_queue_timeout});
  Metrics metrics;
  metrics.SetPoolUsageSource([&pool] { return pool.Usage(); });
  metrics.AddExpositionSource([&executor, &coalescer] {
    return RenderExecutorMetrics(executor.Stats()) + RenderCoalescerMetrics(coalescer.Stats());
  });
  std::atomic<bool> draining{false};

  Router router;
  AddOperationsRoutes(router,
                      OperationsContext{repository, metrics, config.expected_extension_version, draining});
  if (kafka.roles.rest) {
    AddStockRoutes(router, service);
    AddReservationRoutes(router, service, coalescer, metrics);
    AddDeadLetterRoutes(router, dead_letters);
  }

  // Kafka roles: each has its own database session (not the REST pool) and its own client.
  std::atomic<bool> kafka_stop{false};
  std::unique_ptr<CallWatchdog> watchdog;
  std::unique_ptr<KafkaPublisher> relay_publisher;
  std::unique_ptr<OutboxRelay> relay;
  std::unique_ptr<KafkaPublisher> dead_letter_producer;
  std::unique_ptr<PostgresDeadLetterStore> dead_letter_store;
  std::unique_ptr<DeadLetterPublisher> dead_letter_publisher;
  std::unique_ptr<KafkaMessageSource> order_source;
  std::unique_ptr<PostgresOrderEventStore> order_store;
  std::unique_ptr<OrderConsumer> consumer;
  std::thread relay_thread;
  std::thread consumer_thread;
  std::thread dead_letter_thread;
  // Stops and joins the Kafka threads on every way out of Run, including a failed start.
  struct StopKafkaThreads {
    std::atomic<bool>& stop;
    std::vector<std::thread*> threads;
    ~StopKafkaThreads() {
      stop = true;
      for (std::thread* thread : threads) {
        if (thread->joinable())
          thread->join();
      }
    }
  } stop_kafka_threads{kafka_stop, {&consumer_thread, &dead_letter_thread, &relay_thread}};
  if (config.kafka_bootstrap_servers) {
    const KafkaClientSettings client{
        *config.kafka_bootstrap_servers, kafka.client_id,        kafka.group_id,
        kafka.session_timeout,           kafka.delivery_timeout, kafka.extra_properties};
    watchdog = std::make_unique<CallWatchdog>();
    const auto worker_session = [&](const std::string& role) {
      return SessionSettings{role, config.db_connect_timeout_seconds, kafka.worker_statement_timeout,
                             kafka.worker_session_timeout};
    };
    if (kafka.roles.relay) {
      relay_publisher = std::make_unique<KafkaPublisher>(client);
      const OutboxSessionSettings session{config.database_url, worker_session("relay"), kafka.relay_lock_key,
                                          kafka.relay_notify_channel};
      relay = std::make_unique<OutboxRelay>(
          RelaySettings{kafka.relay_batch_size, kafka.relay_max_in_flight, kafka.relay_poll_interval,
                        std::chrono::milliseconds(250), kafka.worker_session_timeout},
          [session, &watchdog] { return std::make_unique<PostgresOutboxSession>(session, *watchdog); },
          *relay_publisher, logger);
      metrics.AddExpositionSource([&relay] { return relay->RenderMetrics(); });
      relay_thread = std::thread([&] { relay->Run(kafka_stop); });
    }
    if (kafka.roles.consumer) {
      OrderConsumerSettings settings{
          kafka.group_id,
          InputTopics{OrderTopics{kafka.order_created_topic, kafka.order_confirmed_topics,
                                  kafka.order_cancelled_topic, kafka.order_shipped_topic},
                      kafka.cdc_products_topic, kafka.cdc_order_items_topic, kafka.cdc_warehouse},
          kafka.consumer_batch_size, kafka.park_timeout, kafka.identity_retention};
      std::vector<std::string> topics = settings.topics.orders.All();
      for (const auto& topic : {kafka.cdc_products_topic, kafka.cdc_order_items_topic}) {
        if (topic)
          topics.push_back(*topic);
      }
      order_source =
          std::make_unique<KafkaMessageSource>(client, topics, [&logger](const std::string& error) {
            logger.Warn("Kafka consumer error", {{"error", error}});
          });
      order_store = std::make_unique<PostgresOrderEventStore>(config.database_url, worker_session("consumer"),
                                                              *watchdog);
      std::function<void()> committed;
      if (relay)
        committed = [&relay] { relay->Nudge(); };
      consumer = std::make_unique<OrderConsumer>(settings, *order_source, *order_store, logger, committed);
      metrics.AddExpositionSource([&consumer] { return consumer->RenderMetrics(); });
      consumer_thread = std::thread([&] { consumer->Run(kafka_stop); });

      dead_letter_producer = std::make_unique<KafkaPublisher>(client);
      dead_letter_store = std::make_unique<PostgresDeadLetterStore>(
          config.database_url, worker_session("dead-letters"), *watchdog);
      dead_letter_publisher = std::make_unique<DeadLetterPublisher>(
          DeadLetterPublisherSettings{kafka.dead_letter_topic, 500,
                                      kafka.delivery_timeout + std::chrono::seconds(30)},
          *dead_letter_store, *dead_letter_producer, logger);
      metrics.AddExpositionSource(
          [&dead_letter_publisher] { return dead_letter_publisher->RenderMetrics(); });
      dead_letter_thread = std::thread([&] { dead_letter_publisher->Run(kafka_stop); });
    }
    logger.Lifecycle("kafka roles started", {{"bootstrap_servers", *config.kafka_bootstrap_servers},
                                             {"consumer", kafka.roles.consumer},
                                             {"relay", kafka.roles.relay},
                                             {"group_id", kafka.group_id}});
  }
  RequestPipeline pipeline(
      router, metrics, logger,
      PipelineSettings{config.max_body_bytes, config.retry_after_seconds, config.db_queue_timeout}, draining,
      executor, *authentication.authorizer);

  const auto endpoint_settings = [&config](std::string host, std::uint16_t port,
                                           std::optional<TlsSettings> tls, bool internal) {
    return EndpointSettings{std::move(host),
                            port,
                            config.http_threads,
                            config.max_body_bytes,
                            config.retry_after_seconds,
                            std::move(tls),
                            internal,
                            config.http_header_timeout,
                            config.http_body_timeout,
                            config.http_keepalive_timeout,
                            config.http_max_connections};
  };
  PistacheEndpoint endpoint(
      pipeline, endpoint_settings(config.http_host, config.http_port, ListenerTls(security, ""), false));
  std::unique_ptr<PistacheEndpoint> internal_endpoint;
  // Database workers finish (or refuse) their work before the endpoints they answer through go away,
  // on every way out of Run.
  struct StopDatabaseWork {
    BoundedExecutor& executor;
    ~StopDatabaseWork() { executor.Shutdown(std::chrono::milliseconds(0)); }
  } stop_database_work{executor};
  metrics.AddExpositionSource([&endpoint, &internal_endpoint] {
    std::vector<std::pair<std::string, ConnectionStats>> listeners{{"public", endpoint.Stats()}};
    if (internal_endpoint)
      listeners.emplace_back("internal", internal_endpoint->Stats());
    return RenderConnectionMetrics(listeners);
  });
  const auto port = endpoint.Start();
  logger.Lifecycle("listening", {{"host", config.http_host},
                                 {"port", port},
                                 {"tls", security.tls.has_value()},
                                 {"threads", config.http_threads},
                                 {"db_pool_size", config.db_pool_size},
                                 {"reservation_lanes", config.reservation_lanes},
                                 {"reservation_batch_max", config.reservation_batch_max},
                                 {"max_connections", config.http_max_connections},
                                 {"max_body_bytes", config.max_body_bytes}});
  if (security.internal_port) {
    internal_endpoint = std::make_unique<PistacheEndpoint>(
        pipeline, endpoint_settings(security.internal_host, *security.internal_port,
                                    ListenerTls(security, security.internal_client_ca_file), true));
    logger.Lifecycle("listening internal",
                     {{"host", security.internal_host},
                      {"internal_port", internal_endpoint->Start()},
                      {"tls", security.tls.has_value()},
                      {"client_certificates", !security.internal_client_ca_file.empty()}});
  }

  int signal_number = 0;
  sigwait(&signals, &signal_number);
  logger.Lifecycle("shutting down", {{"signal", signal_number == SIGTERM ? "SIGTERM" : "SIGINT"},
                                     {"in_flight", pipeline.InFlight()}});
  // From here new requests get 503 and /ready reports unready. Queued requests and reservation
  // batches still run until SHUTDOWN_TIMEOUT_S; what is left then is answered 503. Every answer is
  // on the wire before the endpoint stops (Pistache drops responses still queued at Stop()).
  draining = true;
  const auto deadline = std::chrono::steady_clock::now() + config.shutdown_timeout;
  executor.Shutdown(config.shutdown_timeout);
  while (pipeline.InFlight() > 0 && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  for (PistacheEndpoint* listener : {&endpoint, internal_endpoint.get()}) {
    if (listener != nullptr)
      listener->WaitUntilWritten(std::chrono::seconds(2));
  }
  endpoint.Stop();
  if (internal_endpoint)
    internal_endpoint->Stop();
  if (authentication.keys)
    authentication.keys->Stop();
  // The consumer commits the offsets of what it processed; the relay finishes its batch (waiting
  // for Kafka's acknowledgements) and releases its lock; the producers flush.
  kafka_stop = true;
  for (std::thread* thread : {&consumer_thread, &dead_letter_thread, &relay_thread}) {
    if (thread->joinable())
      thread->join();
  }
  for (KafkaPublisher* publisher : {relay_publisher.get(), dead_letter_producer.get()}) {
    if (publisher != nullptr)
      publisher->Flush(std::chrono::seconds(10));
  }
  pool.Close();
  logger.Lifecycle("stopped", {{"unfinished_requests", pipeline.InFlight()}});
  return 0;
}

}  // namespace

int main() {
  const sigset_t signals = BlockShutdownSignals();
  inventory::ServiceConfig config;
  inventory::KafkaSettings kafka;
  inventory::SecuritySettings security;
  try {
    config = inventory::LoadServiceConfig(inventory::ProcessEnvironment());
    kafka = inventory::LoadKafkaSettings(inventory::ProcessEnvironment(),
                                         config.kafka_bootstrap_servers.has_value());
    security = inventory::LoadSecuritySettings(inventory::ProcessEnvironment());
  } catch (const inventory::ConfigError& error) {
    std::cerr << "inventory-svc: invalid configuration: " << error.what() << std::endl;
    return 2;
  }
  inventory::JsonLogger logger(config.log_level);
  try {
    return Run(config, kafka, security, logger, signals);
  } catch (const std::exception& error) {
    logger.Error("inventory-svc failed to start or stop", {{"error", error.what()}});
    return 1;
  }
}
