// job.cpp: names of refusals.
#include "execution/job.h"

namespace inventory {

const char* RefusalName(Refusal refusal) {
  switch (refusal) {
    case Refusal::QueueFull:
      return "queue_full";
    case Refusal::DeadlinePassed:
      return "deadline";
    case Refusal::NobodyWaiting:
      return "client_gone";
    case Refusal::ShuttingDown:
      return "shutdown";
  }
  return "unknown";
}

}  // namespace inventory
