package io.tributary.log;

/**
 * The log hit an I/O error while writing (disk full, device error) and refuses every later write
 * until it is reopened; reads of what was written before go on. Sticky by design: no write after
 * the failure may pretend to succeed, and nothing written before it is touched. Maps to {@code RESOURCE_EXHAUSTED} (disk full) or
 * {@code INTERNAL}/{@code UNAVAILABLE} at the API.
 */
public final class LogFailedException extends LogException {
    private static final long serialVersionUID = 1L;

    public LogFailedException(String message, Throwable cause) {
        super(message, cause);
    }

    /** True when the root cause looks like "no space left on device". */
    public boolean isDiskFull() {
        for (Throwable t = getCause(); t != null; t = t.getCause()) {
            String m = t.getMessage();
            if (m != null && (m.contains("No space left") || m.contains("ENOSPC") || m.contains("disk full"))) {
                return true;
            }
        }
        return false;
    }
}
