// jwks_key_store.h: the current JWKS, shared by all request threads, and the background thread
// that refreshes it. Request threads never fetch: a token with an unknown kid is refused at once
// and asks the refresher to fetch (at most once per min_refresh_gap), so a key rotated in at the
// identity provider is picked up within a second or two without letting unknown kids hammer it.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <thread>

#include "auth/json_web_key_set.h"

namespace inventory {

struct KeyStoreSettings {
  std::chrono::seconds refresh_interval{300};  // AUTH_JWKS_REFRESH_S: periodic refetch
  std::chrono::seconds min_refresh_gap{10};    // AUTH_JWKS_MIN_REFRESH_GAP_S: between fetches
};

class JwksKeyStore {
 public:
  using Fetch = std::function<std::string()>;  // the JWKS document; throws std::exception on failure
  // Called after every fetch: ok, and a message for the log (never key material).
  using Report = std::function<void(bool ok, const std::string& message)>;

  JwksKeyStore(Fetch fetch, KeyStoreSettings settings, Report report);
  ~JwksKeyStore();
  JwksKeyStore(const JwksKeyStore&) = delete;
  JwksKeyStore& operator=(const JwksKeyStore&) = delete;

  // Fetches now on the calling thread (used at start); true when a key set was loaded.
  bool Refresh();
  // Starts the background refresher; Stop() (or the destructor) ends it.
  void Start();
  void Stop();

  std::shared_ptr<const VerificationKey> Find(const std::string& key_id, const std::string& algorithm) const;
  // Non-blocking: wakes the refresher, which fetches once the gap since the last fetch has passed.
  void RequestRefresh();
  std::size_t KeyCount() const;
  std::size_t FetchCount() const;
  // Raised every time a new key set replaces the old one (caches of verified tokens key on it).
  std::uint64_t Generation() const;

 private:
  void RefresherLoop();

  const Fetch fetch_;
  const KeyStoreSettings settings_;
  const Report report_;
  mutable std::mutex mutex_;
  std::condition_variable wake_;
  std::shared_ptr<const KeySet> keys_;
  std::chrono::steady_clock::time_point last_fetch_{};
  std::size_t fetches_ = 0;
  std::uint64_t generation_ = 0;
  bool refresh_requested_ = false;
  bool stopping_ = false;
  std::thread refresher_;
};

}  // namespace inventory
