package io.reactivemmap.netty.spring.boot;

import io.reactivemmap.micrometer.MappingMeters;
import io.reactivemmap.netty.spring.MappedFileHandler;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.springframework.boot.autoconfigure.AutoConfigurations;
import org.springframework.boot.test.context.runner.ReactiveWebApplicationContextRunner;
import org.springframework.boot.test.context.runner.ApplicationContextRunner;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** When the auto-configuration steps aside, and how it fails on a bad property. */
class ReactiveMmapAutoConfigurationBackOffTest {
    static {
        System.setProperty("org.springframework.boot.logging.LoggingSystem", "none");
    }

    private final ReactiveWebApplicationContextRunner runner = new ReactiveWebApplicationContextRunner()
            .withConfiguration(AutoConfigurations.of(ReactiveMmapAutoConfiguration.class));

    @TempDir
    Path dir;

    @Test
    void withOnlyClasspathLocationsNothingIsMappedButTheMetersAreThere() {
        runner.run(context -> {
            assertTrue(context.getBean(MappedStaticFiles.class).isEmpty());
            assertNotNull(context.getBean(MappingMeters.class));
        });
    }

    @Test
    void aRootPropertyMountsIt() throws Exception {
        Files.writeString(dir.resolve("a.txt"), "a");
        runner.withPropertyValues("reactive-mmap.static.root=" + dir, "reactive-mmap.static.path-pattern=/f/**")
                .run(context -> {
                    MappedStaticFiles files = context.getBean(MappedStaticFiles.class);
                    assertFalse(files.isEmpty());
                    assertTrue(files.toString().contains("/f/**=[" + dir.toRealPath()), files.toString());
                });
    }

    @Test
    void enabledFalseTurnsItOff() {
        runner.withPropertyValues("reactive-mmap.static.enabled=false", "reactive-mmap.static.root=" + dir)
                .run(context -> {
                    assertFalse(context.containsBean("reactiveMmapStaticFiles"));
                    assertEquals(0, context.getBeansOfType(MappedStaticFiles.class).size());
                    assertEquals(0, context.getBeansOfType(MappingMeters.class).size());
                });
    }

    @Test
    void aHandlerOfTheApplicationsOwnMakesItBackOff() {
        runner.withPropertyValues("reactive-mmap.static.root=" + dir)
                .withBean(MappedFileHandler.class, () -> {
                    try {
                        return MappedFileHandler.of(dir);
                    } catch (IOException e) {
                        throw new UncheckedIOException(e);
                    }
                })
                .run(context -> assertEquals(0, context.getBeansOfType(MappedStaticFiles.class).size()));
        runner.withPropertyValues("reactive-mmap.static.root=" + dir)
                .withBean("mine", MappedStaticFiles.class, () -> MappedStaticFiles.builder().build())
                .run(context -> assertEquals(1, context.getBeansOfType(MappedStaticFiles.class).size()));
    }

    @Test
    void aMissingRootStopsTheStartWithTheProperty() {
        Path missing = dir.resolve("nope");
        runner.withPropertyValues("reactive-mmap.static.root=" + missing).run(context -> {
            Throwable root = context.getStartupFailure();
            assertNotNull(root, "the context started with a missing root");
            while (root.getCause() != null) {
                root = root.getCause();
            }
            assertEquals("reactive-mmap.static.root=" + missing + " is missing: name the directory to serve, or "
                    + "remove the property", root.getMessage());
        });
    }

    @Test
    void aPatternWithoutDoubleStarIsRefusedByName() {
        runner.withPropertyValues("reactive-mmap.static.root=" + dir, "reactive-mmap.static.path-pattern=/files")
                .run(context -> {
                    Throwable root = context.getStartupFailure();
                    assertNotNull(root);
                    while (root.getCause() != null) {
                        root = root.getCause();
                    }
                    assertTrue(root.getMessage().startsWith("path pattern \"/files\" must end in /**"), root.getMessage());
                });
    }

    @Test
    void aNonReactiveApplicationIsLeftAlone() {
        new ApplicationContextRunner().withConfiguration(AutoConfigurations.of(ReactiveMmapAutoConfiguration.class))
                .withPropertyValues("reactive-mmap.static.root=" + dir)
                .run(context -> assertEquals(0, context.getBeansOfType(MappedStaticFiles.class).size()));
    }
}
