package io.tributary.cli;

import picocli.CommandLine;

/** {@code tributary --version}: the jar's implementation version, or "development" from classes. */
final class VersionProvider implements CommandLine.IVersionProvider {

    @Override
    public String[] getVersion() {
        String version = TributaryCommand.class.getPackage().getImplementationVersion();
        return new String[] {"tributary " + (version == null ? "(development build)" : version)};
    }
}
