# tests/kafka/peers.sh (sourced by run.sh): the consumer against peers configured like production.
# For each of three peers, a new kafka-mock that pre-creates nothing (topics appear on first use):
#   bare         - nothing else;
#   refusing     - the dead-letter topic refuses writes (TOPIC_AUTHORIZATION_FAILED) until SIGUSR1;
#   uncreatable  - the dead-letter topic does not exist and cannot be created (UNKNOWN_TOPIC_OR_PART)
#                  until SIGUSR1.
# A malformed order.created goes first on partition 0, then 1,000 valid ones, 250 on each of the
# four partitions (so on the malformed message's partition and on the others). All valid ones must
# be applied, the malformed one must be in the dead-letter table at once and on the dead-letter
# topic once the topic takes writes; while it refuses, the consumer keeps full speed and the refusal
# shows as a logged error with its reason, a metric and the waiting row.

peer_orders=${KAFKA_TEST_PEER_ORDERS:-1000}
for peer in bare refusing uncreatable; do
    case $peer in
        refusing) start_mock "peer-$peer" --topic-error inventory.dead-letter:TOPIC_AUTHORIZATION_FAILED ;;
        uncreatable) start_mock "peer-$peer" --topic-error inventory.dead-letter:UNKNOWN_TOPIC_OR_PART ;;
        *) start_mock "peer-$peer" ;;
    esac
    group=kafka-test-$$-$peer
    sql "SELECT count(*) FROM inventory_set_stock('peer-$peer', 1000000)" >/dev/null
    start_service "peer-$peer" KAFKA_DELIVERY_TIMEOUT_MS=3000
    peer_service=$last_pid
    produce order.created "malformed-$peer" '{"orderId": "broken' 0
    per_partition=$((peer_orders / 4))
    for partition in 0 1 2 3; do
        orders_file "$work/orders-$peer-$partition.txt" "peer-$peer-p$partition" "$per_partition" "peer-$peer"
    done
    started=$SECONDS
    for partition in 0 1 2 3; do produce_file order.created "$work/orders-$peer-$partition.txt" "$partition"; done
    applied() { sql_is "SELECT count(*) FROM inventory.reservations WHERE order_id LIKE 'peer-$peer-p%'" "$((per_partition * 4))"; }
    if wait_until 60 applied; then
        pass "$peer peer: all $((per_partition * 4)) valid orders behind a malformed one applied ($((SECONDS - started)) s from the first produce, group join included)"
    else
        fail "$peer peer: all valid orders applied" "$(sql "SELECT count(*) FROM inventory.reservations WHERE order_id LIKE 'peer-$peer-p%'")"
    fi
    check_equal "$peer peer: each order reserved exactly once" \
        "$(sql "SELECT reserved FROM inventory.stock WHERE product_id = 'peer-$peer'")" "$((per_partition * 4))"
    check_equal "$peer peer: the malformed message is in the dead-letter table" \
        "$(sql "SELECT kafka_partition, error_code FROM inventory.dead_letters WHERE message_key = 'malformed-$peer'")" "0|malformed"
    malformed_on_topic() { consume_raw inventory.dead-letter | grep -qP "^malformed-$peer\t"; }
    if [ "$peer" != bare ]; then
        # The reason names the broker's error for the topic, not only a delivery timeout.
        case $peer in
            refusing) topic_reason="Topic authorization failed" ;;
            *) topic_reason="Unknown topic or partition" ;;
        esac
        refused_logged() { grep '"message":"dead-letter topic refused dead letters' "$work/peer-$peer.log" | grep -q "$topic_reason"; }
        if wait_until 30 refused_logged; then
            pass "$peer peer: the refusal is logged as an error with its reason: $(grep -m1 'dead-letter topic refused' "$work/peer-$peer.log" | jq -r .reason)"
        else
            fail "$peer peer: the refusal is logged with the topic's error ($topic_reason)" "$(grep -m1 'dead-letter topic refused' "$work/peer-$peer.log" | jq -r .reason)"
        fi
        failures=$(metric "$base" inventory_dead_letter_publish_failures_total)
        if [ "${failures:-0}" -ge 1 ]; then pass "$peer peer: inventory_dead_letter_publish_failures_total counts it ($failures)"; else fail "$peer peer: failures metric" "$failures"; fi
        unpublished_metric() { [ "$(metric "$base" inventory_dead_letters_unpublished)" -ge 1 ] 2>/dev/null; }
        if wait_until 10 unpublished_metric; then pass "$peer peer: inventory_dead_letters_unpublished shows the waiting dead letter"; else fail "$peer peer: unpublished metric"; fi
        check_equal "$peer peer: the dead letter waits unpublished, with the error" \
            "$(sql "SELECT published_at IS NULL, publish_error IS NOT NULL, publish_attempts > 0 FROM inventory.dead_letters WHERE message_key = 'malformed-$peer'")" "t|t|t"
        kill -USR1 "$mock_pid"
        if wait_until 60 malformed_on_topic; then pass "$peer peer: once the topic takes writes the dead letter is published"; else fail "$peer peer: published once writable" "$(tail -3 "$work/peer-$peer.log")"; fi
        published_row() { sql_is "SELECT published_at IS NOT NULL FROM inventory.dead_letters WHERE message_key = 'malformed-$peer'" t; }
        if wait_until 10 published_row; then pass "$peer peer: and marked published"; else fail "$peer peer: marked published"; fi
    else
        if wait_until 30 malformed_on_topic; then pass "bare peer: the dead letter is published to the dead-letter topic it created"; else fail "bare peer: dead letter published" "$(tail -3 "$work/peer-$peer.log")"; fi
    fi
    stop_pid "$peer_service"
    stop_pid "$mock_pid"
done
