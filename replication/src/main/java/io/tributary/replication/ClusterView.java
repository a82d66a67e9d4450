package io.tributary.replication;

import java.util.function.Consumer;

/**
 * This broker's live view of the cluster metadata. Thread-safe.
 */
public interface ClusterView {

    /** The latest snapshot; never null (empty before the first metadata arrives). */
    ClusterMetadata current();

    /** Called (on a metadata thread, never blocking it) whenever the snapshot changes. */
    void addListener(Consumer<ClusterMetadata> listener);

    void removeListener(Consumer<ClusterMetadata> listener);
}
