/** The Reactive Streams TCK run against the core sources (TestNG on the JUnit Platform). */
@NullMarked
package io.reactivemmap.tck;

import org.jspecify.annotations.NullMarked;
