package io.tributary.log.internal;

/**
 * An offset index entry.
 *
 * @param offset the absolute offset of a batch's first record
 * @param position the byte position of that batch in its segment's {@code .log}
 */
public record OffsetPosition(long offset, int position) {
}
