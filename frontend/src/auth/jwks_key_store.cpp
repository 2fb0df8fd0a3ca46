// jwks_key_store.cpp: the key set is replaced as a whole (copy on write), so readers take a
// shared_ptr under the mutex and verify without holding it. A failed fetch keeps the old keys.
#include "auth/jwks_key_store.h"

#include <exception>

namespace inventory {

JwksKeyStore::JwksKeyStore(Fetch fetch, KeyStoreSettings settings, Report report)
    : fetch_(std::move(fetch)),
      settings_(settings),
      report_(std::move(report)),
      keys_(std::make_shared<const KeySet>()) {}

JwksKeyStore::~JwksKeyStore() {
  Stop();
}

bool JwksKeyStore::Refresh() {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    last_fetch_ = std::chrono::steady_clock::now();
    ++fetches_;
  }
  try {
    auto parsed = std::make_shared<const KeySet>(ParseJwks(fetch_()));
    std::string message = "loaded " + std::to_string(parsed->keys.size()) + " signing key(s)";
    for (const auto& skipped : parsed->skipped)
      message += "; skipped " + skipped;
    const bool usable = !parsed->keys.empty();
    if (usable) {
      std::lock_guard<std::mutex> lock(mutex_);
      keys_ = std::move(parsed);
      ++generation_;
    } else {
      message += "; keeping the previous keys";
    }
    if (report_)
      report_(usable, message);
    return usable;
  } catch (const std::exception& error) {
    if (report_)
      report_(false, std::string("JWKS fetch failed, keeping the previous keys: ") + error.what());
    return false;
  }
}

void JwksKeyStore::Start() {
  std::lock_guard<std::mutex> lock(mutex_);
  if (!refresher_.joinable())
    refresher_ = std::thread([this] { RefresherLoop(); });
}

void JwksKeyStore::Stop() {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    stopping_ = true;
  }
  wake_.notify_all();
  if (refresher_.joinable())
    refresher_.join();
}

std::shared_ptr<const VerificationKey> JwksKeyStore::Find(const std::string& key_id,
                                                          const std::string& algorithm) const {
  std::shared_ptr<const KeySet> keys;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    keys = keys_;
  }
  return keys->Find(key_id, algorithm);
}

void JwksKeyStore::RequestRefresh() {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    if (refresh_requested_)
      return;
    refresh_requested_ = true;
  }
  wake_.notify_all();
}

std::size_t JwksKeyStore::KeyCount() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return keys_->keys.size();
}

std::uint64_t JwksKeyStore::Generation() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return generation_;
}

std::size_t JwksKeyStore::FetchCount() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return fetches_;
}

// RefresherLoop fetches when the periodic interval is over, or when asked and the gap has passed.
void JwksKeyStore::RefresherLoop() {
  std::unique_lock<std::mutex> lock(mutex_);
  while (!stopping_) {
    const auto periodic = last_fetch_ + settings_.refresh_interval;
    const auto earliest_requested = last_fetch_ + settings_.min_refresh_gap;
    const auto due = refresh_requested_ ? std::min(periodic, earliest_requested) : periodic;
    if (std::chrono::steady_clock::now() < due) {
      wake_.wait_until(lock, due);
      continue;
    }
    refresh_requested_ = false;
    lock.unlock();
    Refresh();
    lock.lock();
  }
}

}  // namespace inventory
