package io.tributary.cli;

import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.classes;
import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.noClasses;

import com.tngtech.archunit.core.domain.JavaClasses;
import com.tngtech.archunit.core.importer.ClassFileImporter;
import com.tngtech.archunit.core.importer.ImportOption;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * DESIGN.md, "Modules and the direction of imports": cli works on top of the client and may not
 * use replication or log-segment code. They are on cli's classpath only because the broker
 * launcher ({@code broker start}) brings the whole broker in; the pom's enforcer rule bans them as
 * direct dependencies and this test bans any use of them from cli classes.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class CliArchitectureTest {

    private static final JavaClasses CLI = new ClassFileImporter()
            .withImportOption(ImportOption.Predefined.DO_NOT_INCLUDE_TESTS)
            .importPackages("io.tributary.cli");

    @Test
    void shouldNotUseReplicationOrLogSegment() {
        noClasses().that().resideInAPackage("io.tributary.cli..")
                .should().dependOnClassesThat().resideInAnyPackage("io.tributary.replication..", "io.tributary.log..")
                .because("cli sits on the client; replication and storage are broker internals (DESIGN.md)")
                .check(CLI);
    }

    @Test
    void shouldUseTheBrokerOnlyThroughItsLauncher() {
        classes().that().resideInAPackage("io.tributary.cli..")
                .and().doNotHaveSimpleName("BrokerStartCommand")
                .should().onlyDependOnClassesThat().resideOutsideOfPackage("io.tributary.broker..")
                .because("only `broker start` may touch the broker, and only through BrokerMain")
                .check(CLI);
        classes().that().haveSimpleName("BrokerStartCommand")
                .should().onlyDependOnClassesThat(com.tngtech.archunit.base.DescribedPredicate.describe(
                        "BrokerMain or outside io.tributary.broker",
                        c -> !c.getPackageName().startsWith("io.tributary.broker")
                                || c.getName().equals("io.tributary.broker.BrokerMain")))
                .check(CLI);
    }
}
