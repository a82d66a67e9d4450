package io.tributary.it;

import org.junit.jupiter.api.extension.BeforeEachCallback;
import org.junit.jupiter.api.extension.ExtensionContext;
import org.junit.jupiter.api.extension.TestExecutionExceptionHandler;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Attaches the tail of every broker's log to a failing test's exception (as a suppressed
 * exception, so it shows in the failsafe report and on the console) and logs it.
 */
public final class BrokerLogsOnFailure implements BeforeEachCallback, TestExecutionExceptionHandler {

    private static final Logger LOG = LoggerFactory.getLogger(BrokerLogsOnFailure.class);
    private static final int LINES = 80;

    @Override
    public void beforeEach(ExtensionContext context) {
        TestCluster.OPENED.clear();
    }

    @Override
    public void handleTestExecutionException(ExtensionContext context, Throwable throwable) throws Throwable {
        for (TestCluster cluster : TestCluster.OPENED) {
            String tails = cluster.logTails(LINES);
            LOG.error("{} failed; broker logs of {}:{}", context.getDisplayName(), cluster, tails);
            throwable.addSuppressed(new BrokerLogs(cluster + tails));
        }
        throw throwable;
    }

    /** Carries the log tails; not thrown by itself. */
    static final class BrokerLogs extends Exception {
        private static final long serialVersionUID = 1L;

        BrokerLogs(String message) {
            super(message, null, false, false);
        }
    }
}
