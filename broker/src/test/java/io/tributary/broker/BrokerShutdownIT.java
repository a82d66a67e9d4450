package io.tributary.broker;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.health.v1.HealthCheckRequest;
import io.grpc.health.v1.HealthCheckResponse;
import io.grpc.health.v1.HealthGrpc;
import io.grpc.stub.StreamObserver;
import io.tributary.proto.v1.FetchPartition;
import io.tributary.proto.v1.FetchRequest;
import io.tributary.proto.v1.FetchResponse;
import io.tributary.proto.v1.FetchServiceGrpc;
import io.tributary.proto.v1.SubscribePartition;
import io.tributary.proto.v1.SubscribeRequest;
import io.tributary.proto.v1.SubscribeResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/** Graceful shutdown ends long-lived calls promptly instead of waiting for them. */
@Timeout(value = 2, unit = TimeUnit.MINUTES)
class BrokerShutdownIT {

    @Test
    void shouldEndSubscriptionsAndAnswerLongPollsOnClose(@TempDir Path dir) throws Exception {
        TestCluster cluster = new TestCluster(dir, 1, Map.of()).start();
        try {
            cluster.createTopic("quiet", 1, 1, Map.of());
            assertThat(HealthGrpc.newBlockingStub(cluster.channel(1)).check(HealthCheckRequest.getDefaultInstance())
                    .getStatus()).isEqualTo(HealthCheckResponse.ServingStatus.SERVING);
            var fetch = FetchServiceGrpc.newFutureStub(cluster.channel(1)).fetch(FetchRequest.newBuilder()
                    .setMaxWaitMs(120_000).addPartitions(FetchPartition.newBuilder().setTopic("quiet").setPartition(0))
                    .build());
            CompletableFuture<Throwable> subscription = new CompletableFuture<>();
            FetchServiceGrpc.newStub(cluster.channel(1)).subscribe(SubscribeRequest.newBuilder()
                    .addPartitions(SubscribePartition.newBuilder().setTopic("quiet").setPartition(0)).build(),
                    new StreamObserver<SubscribeResponse>() {
                        @Override
                        public void onNext(SubscribeResponse value) {
                        }

                        @Override
                        public void onError(Throwable t) {
                            subscription.complete(t);
                        }

                        @Override
                        public void onCompleted() {
                            subscription.complete(null);
                        }
                    });
            await().during(Duration.ofMillis(300)).atMost(Duration.ofSeconds(5)).until(() -> !fetch.isDone());

            long start = System.nanoTime();
            cluster.broker(1).close();
            assertThat(TimeUnit.NANOSECONDS.toSeconds(System.nanoTime() - start)).isLessThan(30);

            FetchResponse answered = fetch.get(5, TimeUnit.SECONDS);
            assertThat(answered.getPartitions(0).hasError()).isFalse();
            Throwable ended = subscription.get(5, TimeUnit.SECONDS);
            assertThat(ended).isInstanceOf(StatusRuntimeException.class);
            assertThat(((StatusRuntimeException) ended).getStatus().getCode()).isEqualTo(Status.Code.UNAVAILABLE);
        } finally {
            cluster.close();
        }
    }
}
