package io.tributary.log;

import io.tributary.log.internal.LogSegment;

import java.util.List;

/**
 * What one compaction pass over a log starts from, taken by {@link Log#beginCleaning()} under the
 * log's write lock so its parts agree.
 *
 * @param closedSegments the segments before the active one, oldest first, each retained for the
 *     pass: {@link #release()} them when it ends, so retention can delete them meanwhile without
 *     pulling the files from under the cleaner
 * @param logStartOffset the log start offset
 * @param activeBaseOffset the active segment's base offset: nothing at or after it is cleaned
 * @param firstDirtyOffset the cleaner checkpoint, within {@code [logStartOffset, logEndOffset]}
 * @param truncations the log's truncation count; a pass that sees it change stops without
 *     committing anything more
 */
record CleaningView(List<LogSegment> closedSegments, long logStartOffset, long activeBaseOffset,
                    long firstDirtyOffset, long truncations) {

    /** Drops the pass's references to the segments. */
    void release() {
        for (LogSegment seg : closedSegments) {
            seg.release();
        }
    }
}
