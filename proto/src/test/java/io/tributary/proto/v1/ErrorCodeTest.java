package io.tributary.proto.v1;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;

/**
 * Error code numbers are part of the wire contract and never change (errors.proto). This test
 * pins every one of them: adding a code means adding a line here; changing or reusing a number
 * fails the build.
 */
class ErrorCodeTest {

    private static final Map<String, Integer> PINNED = new LinkedHashMap<>();

    static {
        PINNED.put("NONE", 0);
        PINNED.put("UNKNOWN", 1);
        PINNED.put("INVALID_REQUEST", 2);
        PINNED.put("REQUEST_TIMED_OUT", 3);
        PINNED.put("UNAUTHORIZED", 4);
        PINNED.put("BROKER_BUSY", 5);
        PINNED.put("POLICY_VIOLATION", 6);
        PINNED.put("NOT_LEADER", 100);
        PINNED.put("LEADER_NOT_AVAILABLE", 101);
        PINNED.put("UNKNOWN_TOPIC_OR_PARTITION", 102);
        PINNED.put("NOT_COORDINATOR", 103);
        PINNED.put("COORDINATOR_NOT_AVAILABLE", 104);
        PINNED.put("COORDINATOR_LOAD_IN_PROGRESS", 105);
        PINNED.put("CONTROLLER_NOT_AVAILABLE", 106);
        PINNED.put("CORRUPT_BATCH", 200);
        PINNED.put("BATCH_TOO_LARGE", 201);
        PINNED.put("DUPLICATE_SEQUENCE", 202);
        PINNED.put("OUT_OF_ORDER_SEQUENCE", 203);
        PINNED.put("UNKNOWN_PRODUCER_ID", 204);
        PINNED.put("INVALID_PRODUCER_EPOCH", 205);
        PINNED.put("EXPECTED_OFFSET_MISMATCH", 206);
        PINNED.put("STORAGE_ERROR", 207);
        PINNED.put("DISK_FULL", 208);
        PINNED.put("CORRUPT_LOG", 209);
        PINNED.put("OFFSET_OUT_OF_RANGE", 300);
        PINNED.put("INVALID_TOPIC_NAME", 400);
        PINNED.put("TOPIC_ALREADY_EXISTS", 401);
        PINNED.put("INVALID_PARTITIONS", 402);
        PINNED.put("INVALID_REPLICATION_FACTOR", 403);
        PINNED.put("INVALID_CONFIG", 404);
        PINNED.put("UNKNOWN_MEMBER_ID", 500);
        PINNED.put("ILLEGAL_GENERATION", 501);
        PINNED.put("REBALANCE_IN_PROGRESS", 502);
        PINNED.put("GROUP_NOT_EMPTY", 503);
        PINNED.put("GROUP_ID_NOT_FOUND", 504);
        PINNED.put("PARTITION_NOT_OWNED", 505);
    }

    @Test
    void shouldKeepEveryErrorCodeNumber() {
        Map<String, Integer> generated = Arrays.stream(ErrorCode.values())
                .filter(code -> code != ErrorCode.UNRECOGNIZED)
                .collect(Collectors.toMap(ErrorCode::name, ErrorCode::getNumber, (a, b) -> a, LinkedHashMap::new));

        assertThat(generated).containsExactlyEntriesOf(PINNED);
    }
}
