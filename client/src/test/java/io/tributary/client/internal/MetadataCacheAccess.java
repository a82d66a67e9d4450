package io.tributary.client.internal;

import io.tributary.proto.v1.MetadataResponse;
import java.util.Set;

/** Lets tests in other packages feed a metadata answer into a cache without a broker. */
public final class MetadataCacheAccess {

    private MetadataCacheAccess() {
    }

    public static Cluster update(MetadataCache cache, MetadataResponse response) {
        return cache.update(Set.of(), response);
    }
}
