package io.tributary.examples;

import io.tributary.client.ConsumerRecord;
import io.tributary.client.ProducerRecord;
import io.tributary.client.TopicPartition;
import io.tributary.client.consumer.Consumer;
import io.tributary.client.errors.ExpectedOffsetMismatchException;
import io.tributary.client.producer.Condition;
import io.tributary.client.producer.Producer;
import io.tributary.client.serde.Serdes;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.Function;

/**
 * The event-sourcing example of {@code docs/event-sourcing.md}: bank accounts whose state is
 * nothing but their events, stored in a keyed topic (key = account id). An account is rebuilt by
 * replaying its key; a command is decided on that state and its event appended only if no other
 * writer appended to the account since (conditional append on the key's last offset). Two
 * instances of this class, in two processes, can never both spend the same balance.
 *
 * <p>Thread-safety: not thread-safe (one consumer); use one instance per thread.
 */
public final class AccountStore implements AutoCloseable {

    /** An event of an account. JSON on the wire. */
    public record Event(String type, long amount) {
        static Event deposited(long amount) {
            return new Event("deposited", amount);
        }

        static Event withdrawn(long amount) {
            return new Event("withdrawn", amount);
        }
    }

    /** An account as its events make it: its balance, and the offset of its last event (-1: none). */
    public record Account(String id, long balance, long lastOffset) {
        Account apply(Event e, long offset) {
            long b = switch (e.type()) {
                case "deposited" -> balance + e.amount();
                case "withdrawn" -> balance - e.amount();
                default -> throw new IllegalStateException("unknown event type " + e.type());
            };
            return new Account(id, b, offset);
        }
    }

    /** A command refused by the account's rules (not a conflict: retrying will not help). */
    public static final class Rejected extends RuntimeException {
        public Rejected(String message) {
            super(message);
        }
    }

    private final String topic;
    private final Producer<String, Event> producer;
    private final Consumer<String, Event> replay;

    public AccountStore(String bootstrap, String topic) {
        this.topic = topic;
        this.producer = new Producer<>(Map.of("bootstrap.servers", bootstrap, "linger.ms", "0"),
                Serdes.stringSerializer(), Serdes.jsonSerializer());
        // No group: the store reads the partition of the account it rebuilds, from the beginning.
        this.replay = new Consumer<>(Map.of("bootstrap.servers", bootstrap, "auto.offset.reset", "earliest"),
                Serdes.stringDeserializer(), Serdes.jsonDeserializer(Event.class));
    }

    /** Rebuilds an account by replaying its events, up to the partition's current end. */
    public Account load(String id) {
        TopicPartition tp = new TopicPartition(topic, producer.partitionFor(topic, id));
        replay.assign(List.of(tp));
        replay.seekToBeginning(List.of(tp));
        long end = replay.endOffsets(List.of(tp)).get(tp);
        Account account = new Account(id, 0, -1);
        while (replay.position(tp) < end) {
            for (ConsumerRecord<String, Event> r : replay.poll(Duration.ofMillis(100)).records(tp)) {
                if (id.equals(r.key()) && r.value() != null) {
                    account = account.apply(r.value(), r.offset());
                }
            }
        }
        return account;
    }

    /**
     * Decides a command on the account's current state and appends its event, only if the account
     * has not changed since it was read; on a conflict, reads again and decides again.
     *
     * @return the account after the event
     * @throws Rejected when the command is refused by the account's rules
     */
    public Account execute(String id, Function<Account, Event> command)
            throws InterruptedException, ExecutionException, TimeoutException {
        while (true) {
            Account account = load(id);
            Event event = command.apply(account); // may throw Rejected
            try {
                long offset = producer.send(new ProducerRecord<>(topic, id, event), Condition.keyLastOffset(account.lastOffset()))
                        .get(30, TimeUnit.SECONDS).offset();
                return account.apply(event, offset);
            } catch (ExecutionException e) {
                if (!(e.getCause() instanceof ExpectedOffsetMismatchException)) {
                    throw e;
                }
                // Another writer appended to this account first: decide again on the new state.
            }
        }
    }

    /** Deposits {@code amount}. */
    public Account deposit(String id, long amount) throws Exception {
        return execute(id, account -> Event.deposited(amount));
    }

    /** Withdraws {@code amount} if the balance covers it. */
    public Account withdraw(String id, long amount) throws Exception {
        return execute(id, account -> {
            if (account.balance() < amount) {
                throw new Rejected("account " + id + " holds " + account.balance() + ", cannot withdraw " + amount);
            }
            return Event.withdrawn(amount);
        });
    }

    public Optional<Account> find(String id) {
        Account a = load(id);
        return a.lastOffset() < 0 ? Optional.empty() : Optional.of(a);
    }

    @Override
    public void close() {
        replay.close();
        producer.close();
    }
}
