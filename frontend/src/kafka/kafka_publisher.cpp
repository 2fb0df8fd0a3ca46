// kafka_publisher.cpp: the idempotent producer and its delivery reports. Every produced message
// carries its ticket and index; librdkafka reports each message exactly once (at the latest after
// message.timeout.ms, or at once when purged), on the thread that polls.
#include "kafka/kafka_publisher.h"

#include <librdkafka/rdkafka.h>
#include <librdkafka/rdkafkacpp.h>

#include <stdexcept>

#include "kafka/kafka_properties.h"

namespace inventory {
namespace {

struct PublishedBatch;

// Where one message's delivery report goes: its batch and its place in it.
struct DeliverySlot {
  PublishedBatch* batch;
  std::size_t index;
};

// A batch handed to librdkafka: its ticket, one slot per message (the messages' opaque pointers),
// and how many reports are still due. The last report frees it, so a ticket nobody watches any
// more (a relay that lost leadership) is still completed safely.
struct PublishedBatch {
  std::shared_ptr<PublishTicket> ticket;
  std::vector<DeliverySlot> slots;
  std::size_t outstanding = 0;

  void Report(std::size_t index, std::string error) {
    ticket->Report(index, std::move(error));
    if (--outstanding == 0)
      delete this;
  }
};

}  // namespace

class KafkaPublisher::DeliveryReports : public RdKafka::DeliveryReportCb {
 public:
  void dr_cb(RdKafka::Message& message) override {
    const auto* slot = static_cast<const DeliverySlot*>(message.msg_opaque());
    if (slot != nullptr)
      slot->batch->Report(slot->index,
                          message.err() == RdKafka::ERR_NO_ERROR ? std::string() : message.errstr());
  }
};

KafkaPublisher::KafkaPublisher(const KafkaClientSettings& settings)
    : reports_(std::make_unique<DeliveryReports>()) {
  std::vector<std::pair<std::string, std::string>> properties = {
      {"bootstrap.servers", settings.bootstrap_servers},
      {"client.id", settings.client_id},
      {"enable.idempotence", "true"},
      {"acks", "all"},
      {"linger.ms", "1"},
      // librdkafka leaves Nagle's algorithm on; small produce requests then wait for the previous
      // one's (delayed) TCP acknowledgement, which doubled the relay's commit-to-Kafka latency.
      {"socket.nagle.disable", "true"},
      {"message.timeout.ms", std::to_string(settings.delivery_timeout.count())},
      // A topic that is missing or refused is looked up again soon, so publishing resumes within
      // seconds once it can be written.
      {"topic.metadata.refresh.interval.ms", "5000"},
  };
  properties.insert(properties.end(), settings.extra_properties.begin(), settings.extra_properties.end());
  auto conf = BuildKafkaConf(properties);
  std::string error;
  if (conf->set("dr_cb", reports_.get(), error) != RdKafka::Conf::CONF_OK)
    throw std::runtime_error("Kafka delivery report callback refused: " + error);
  producer_.reset(RdKafka::Producer::create(conf.get(), error));
  if (!producer_)
    throw std::runtime_error("cannot create the Kafka producer: " + error);
}

KafkaPublisher::~KafkaPublisher() {
  if (producer_)
    producer_->flush(5000);
}

std::shared_ptr<PublishTicket> KafkaPublisher::Publish(const std::vector<OutboundMessage>& messages) {
  auto ticket = std::make_shared<PublishTicket>(messages.size());
  if (messages.empty())
    return ticket;
  auto* batch = new PublishedBatch{ticket, std::vector<DeliverySlot>(messages.size()), messages.size()};
  rd_kafka_t* handle = producer_->c_ptr();
  std::vector<rd_kafka_vu_t> fields;
  // The C interface copies key, value and headers in one go (RD_KAFKA_MSG_F_COPY); the C++ one
  // would allocate a header object per header first.
  for (std::size_t i = 0; i < messages.size(); ++i) {
    const auto& message = messages[i];
    batch->slots[i] = DeliverySlot{batch, i};
    fields.assign(6 + message.headers.size(), rd_kafka_vu_t{});
    fields[0].vtype = RD_KAFKA_VTYPE_TOPIC;
    fields[0].u.cstr = message.topic.c_str();
    fields[1].vtype = RD_KAFKA_VTYPE_MSGFLAGS;
    fields[1].u.i = RD_KAFKA_MSG_F_COPY;
    fields[2].vtype = RD_KAFKA_VTYPE_VALUE;
    fields[2].u.mem = {const_cast<char*>(message.payload.data()), message.payload.size()};
    fields[3].vtype = RD_KAFKA_VTYPE_KEY;
    fields[3].u.mem = {const_cast<char*>(message.key.data()), message.key.size()};
    fields[4].vtype = RD_KAFKA_VTYPE_OPAQUE;
    fields[4].u.ptr = &batch->slots[i];
    fields[5].vtype = RD_KAFKA_VTYPE_PARTITION;
    fields[5].u.i32 = RD_KAFKA_PARTITION_UA;
    for (std::size_t h = 0; h < message.headers.size(); ++h) {
      auto& field = fields[6 + h];
      field.vtype = RD_KAFKA_VTYPE_HEADER;
      field.u.header.name = message.headers[h].first.c_str();
      field.u.header.val = message.headers[h].second.data();
      field.u.header.size = static_cast<ssize_t>(message.headers[h].second.size());
    }
    for (;;) {
      rd_kafka_error_t* error = rd_kafka_produceva(handle, fields.data(), fields.size());
      if (error == nullptr)
        break;
      const rd_kafka_resp_err_t code = rd_kafka_error_code(error);
      const std::string text = rd_kafka_error_string(error);
      rd_kafka_error_destroy(error);
      if (code == RD_KAFKA_RESP_ERR__QUEUE_FULL) {
        producer_->poll(10);
        continue;
      }
      batch->Report(i, text);
      break;
    }
  }
  return ticket;
}

void KafkaPublisher::Poll(std::chrono::milliseconds timeout) {
  producer_->poll(static_cast<int>(timeout.count()));
}

void KafkaPublisher::Purge() {
  producer_->purge(RdKafka::Producer::PURGE_QUEUE | RdKafka::Producer::PURGE_INFLIGHT);
  producer_->poll(0);
}

bool KafkaPublisher::Prepare(std::chrono::milliseconds timeout) {
  RdKafka::Metadata* metadata = nullptr;
  const RdKafka::ErrorCode result =
      producer_->metadata(true, nullptr, &metadata, static_cast<int>(timeout.count()));
  delete metadata;
  return result == RdKafka::ERR_NO_ERROR;
}

std::string KafkaPublisher::TopicError(const std::string& topic, std::chrono::milliseconds timeout) {
  std::string create_error;
  const std::unique_ptr<RdKafka::Topic> handle(
      RdKafka::Topic::create(producer_.get(), topic, nullptr, create_error));
  if (!handle)
    return create_error;
  RdKafka::Metadata* raw = nullptr;
  const RdKafka::ErrorCode result =
      producer_->metadata(false, handle.get(), &raw, static_cast<int>(timeout.count()));
  const std::unique_ptr<RdKafka::Metadata> metadata(raw);
  if (result != RdKafka::ERR_NO_ERROR || !metadata)
    return "";
  for (const RdKafka::TopicMetadata* described : *metadata->topics()) {
    if (described->topic() == topic && described->err() != RdKafka::ERR_NO_ERROR)
      return RdKafka::err2str(described->err());
  }
  return "";
}

int KafkaPublisher::Flush(std::chrono::milliseconds timeout) {
  producer_->flush(static_cast<int>(timeout.count()));
  return producer_->outq_len();
}

}  // namespace inventory
