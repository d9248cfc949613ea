package io.reactivemmap.netty;

import org.junit.platform.launcher.LauncherSession;
import org.junit.platform.launcher.LauncherSessionListener;

/**
 * Installs {@link NettyLeakCheck}'s recording leak-detector factory when the test run starts, before any test class
 * runs. All test classes of this module share one JVM: without this, a class that touches Netty without registering
 * {@code NettyLeakCheck} (a pure parsing test, or any class that happens to run first) would make Netty create its
 * detectors with the default factory, and every later leak check would silently see nothing. Registered in
 * {@code META-INF/services/org.junit.platform.launcher.LauncherSessionListener}.
 */
public final class NettyLeakCheckSession implements LauncherSessionListener {
    @Override
    public void launcherSessionOpened(LauncherSession session) {
        try {
            Class.forName(NettyLeakCheck.class.getName(), true, NettyLeakCheckSession.class.getClassLoader());
        } catch (ClassNotFoundException e) {
            throw new IllegalStateException(e);
        }
    }
}
