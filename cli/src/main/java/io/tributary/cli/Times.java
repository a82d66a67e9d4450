package io.tributary.cli;

import java.time.Instant;
import java.time.LocalDate;
import java.time.LocalDateTime;
import java.time.OffsetDateTime;
import java.time.ZoneId;
import java.time.format.DateTimeParseException;
import picocli.CommandLine;

/** Parses the times users type: ISO-8601 with or without an offset or time, or ms since the epoch. */
final class Times {

    private Times() {
    }

    /** Ms since the epoch; a time without an offset is in this host's time zone. */
    static long parse(CommandLine cmd, String option, String text) {
        String s = text.trim();
        if (s.matches("\\d+")) {
            return Long.parseLong(s);
        }
        try {
            return OffsetDateTime.parse(s).toInstant().toEpochMilli();
        } catch (DateTimeParseException ignored) {
            // try the next form
        }
        try {
            return Instant.parse(s).toEpochMilli();
        } catch (DateTimeParseException ignored) {
            // try the next form
        }
        try {
            return LocalDateTime.parse(s).atZone(ZoneId.systemDefault()).toInstant().toEpochMilli();
        } catch (DateTimeParseException ignored) {
            // try the next form
        }
        try {
            return LocalDate.parse(s).atStartOfDay(ZoneId.systemDefault()).toInstant().toEpochMilli();
        } catch (DateTimeParseException e) {
            throw new CommandLine.ParameterException(cmd, option + " '" + text
                    + "': expected ISO-8601 (2026-11-26T10:00:00Z, 2026-11-26T10:00:00, 2026-11-26) or ms since the epoch");
        }
    }
}
