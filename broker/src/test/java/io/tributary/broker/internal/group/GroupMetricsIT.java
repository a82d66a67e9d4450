package io.tributary.broker.internal.group;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.tributary.broker.TestCluster;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * The group coordinator's metrics on the broker's {@code /metrics}: groups and members by state,
 * rebalances and partition moves, offset commits, coordinator loads and their duration.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@Timeout(value = 2, unit = TimeUnit.MINUTES)
class GroupMetricsIT {

    TestCluster cluster;
    GroupCalls calls;

    @BeforeAll
    void start(@TempDir Path dir) {
        cluster = new TestCluster(dir, 1, Map.of(
                "group.offsets.topic.partitions", "2",
                "group.min.session.timeout.ms", "500",
                "group.heartbeat.interval.ms", "200")).start();
        calls = new GroupCalls(cluster);
        cluster.createTopic("metered", 4, 1, Map.of());
    }

    @AfterAll
    void stop() {
        if (cluster != null) {
            cluster.close();
        }
    }

    @Test
    void shouldShowGroupsMembersRebalancesCommitsAndLoads() {
        assertThat(calls.coordinator("m")).isEqualTo(1);
        // Both partitions of __consumer_offsets were loaded once, each timed.
        await().atMost(Duration.ofSeconds(30)).until(() -> value(scrape(),
                "tributary_group_coordinator_loads_total{result=\"ok\"}") == 2);
        String body = scrape();
        assertThat(value(body, "tributary_group_coordinator_load_seconds_count")).isEqualTo(2);
        assertThat(value(body, "tributary_groups{state=\"stable\"}")).isZero();
        assertThat(value(body, "tributary_group_members{state=\"stable\"}")).isZero();
        double rebalancesBefore = value(body, "tributary_group_rebalances_total");

        TestMember a = new TestMember(calls, "m");
        a.join("", "metered");
        GroupServiceIT.settle(List.of(a));
        TestMember b = new TestMember(calls, "m");
        b.join("", "metered");
        GroupServiceIT.settle(List.of(a, b));
        String p = a.owned.iterator().next();
        int partition = Integer.parseInt(p.substring(p.lastIndexOf('-') + 1));
        assertThat(a.commit(a.generation, "metered", partition, 1).getPartitions(0).hasError()).isFalse();
        String ofB = b.owned.iterator().next();
        int notOwned = Integer.parseInt(ofB.substring(ofB.lastIndexOf('-') + 1));
        assertThat(a.commit(a.generation, "metered", notOwned, 1).getPartitions(0).hasError())
                .as("a partition a does not own: refused").isTrue();

        body = scrape();
        assertThat(value(body, "tributary_groups{state=\"stable\"}")).isEqualTo(1);
        assertThat(value(body, "tributary_groups{state=\"empty\"}")).isZero();
        assertThat(value(body, "tributary_group_members{state=\"stable\"}")).isEqualTo(2);
        assertThat(value(body, "tributary_group_members{state=\"reconciling\"}")).isZero();
        assertThat(value(body, "tributary_group_rebalances_total") - rebalancesBefore).as("two joins").isEqualTo(2);
        assertThat(value(body, "tributary_group_partition_moves_total")).as("a gave b half of its four")
                .isEqualTo(2);
        assertThat(value(body, "tributary_group_offset_commits_total{result=\"accepted\"}")).isEqualTo(1);
        assertThat(value(body, "tributary_group_offset_commits_total{result=\"refused\"}")).isEqualTo(1);

        a.leave();
        b.leave();
        body = scrape();
        assertThat(value(body, "tributary_groups{state=\"empty\"}")).isEqualTo(1);
        assertThat(value(body, "tributary_groups{state=\"stable\"}")).isZero();
        assertThat(value(body, "tributary_group_members{state=\"stable\"}")).isZero();
        assertThat(value(body, "tributary_group_rebalances_total") - rebalancesBefore).isEqualTo(4);
        assertThat(body).contains("tributary_group_expired_total");
    }

    String scrape() {
        try {
            HttpResponse<String> r = HttpClient.newHttpClient().send(HttpRequest.newBuilder(
                    URI.create("http://127.0.0.1:" + cluster.metricsPort(1) + "/metrics")).build(),
                    HttpResponse.BodyHandlers.ofString());
            assertThat(r.statusCode()).isEqualTo(200);
            return r.body();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    /** The sample {@code series} (name and labels as Prometheus prints them); 0 when absent. */
    static double value(String body, String series) {
        for (String line : body.split("\n")) {
            if (line.startsWith(series + " ")) {
                return Double.parseDouble(line.substring(series.length() + 1).trim().split(" ")[0]);
            }
        }
        return 0;
    }
}
