package io.tributary.log.internal;

import java.nio.file.Path;

/**
 * Names of the files in a partition directory. A segment is named by its base offset as 20
 * zero-padded digits; lifecycle suffixes follow Kafka's {@code LogFileUtils}.
 *
 * <pre>
 *   00000000000000000000.log         record batches
 *   00000000000000000000.index       offset index
 *   00000000000000000000.timeindex   time index
 *   *.cleaned                        compaction output being written (deleted at open)
 *   *.swap                           compaction output complete, replacing the original (finished at open)
 *   *.deleted                        removed segment waiting for readers to finish (deleted at open)
 *   recovery-point.checkpoint        see {@link CheckpointFile}
 * </pre>
 *
 * <p>Thread-safety: stateless.
 */
public final class LogFiles {
    public static final String LOG_SUFFIX = ".log";
    public static final String INDEX_SUFFIX = ".index";
    public static final String TIME_INDEX_SUFFIX = ".timeindex";
    public static final String CLEANED_SUFFIX = ".cleaned";
    public static final String SWAP_SUFFIX = ".swap";
    public static final String DELETED_SUFFIX = ".deleted";
    public static final String CHECKPOINT_FILE = "recovery-point.checkpoint";
    public static final String CLEANER_CHECKPOINT_FILE = "cleaner-offset.checkpoint";

    private static final int DIGITS = 20;

    private LogFiles() {
    }

    /** The 20-digit zero-padded form of a base offset. */
    public static String filenamePrefix(long baseOffset) {
        if (baseOffset < 0) {
            throw new IllegalArgumentException("negative base offset " + baseOffset);
        }
        String s = Long.toString(baseOffset);
        return "0".repeat(DIGITS - s.length()) + s;
    }

    public static Path logFile(Path dir, long baseOffset) {
        return dir.resolve(filenamePrefix(baseOffset) + LOG_SUFFIX);
    }

    public static Path offsetIndexFile(Path dir, long baseOffset) {
        return dir.resolve(filenamePrefix(baseOffset) + INDEX_SUFFIX);
    }

    public static Path timeIndexFile(Path dir, long baseOffset) {
        return dir.resolve(filenamePrefix(baseOffset) + TIME_INDEX_SUFFIX);
    }

    /**
     * The base offset named by a segment file, or -1 when the name is not a segment file name
     * (20 digits, a dot, then anything).
     */
    public static long baseOffsetOf(String fileName) {
        if (fileName.length() <= DIGITS || fileName.charAt(DIGITS) != '.') {
            return -1;
        }
        for (int i = 0; i < DIGITS; i++) {
            char c = fileName.charAt(i);
            if (c < '0' || c > '9') {
                return -1;
            }
        }
        try {
            return Long.parseLong(fileName.substring(0, DIGITS));
        } catch (NumberFormatException e) {
            return -1;
        }
    }

    /** The file name with one suffix appended, e.g. {@code x.log} to {@code x.log.deleted}. */
    public static Path withSuffix(Path file, String suffix) {
        return file.resolveSibling(file.getFileName().toString() + suffix);
    }
}
