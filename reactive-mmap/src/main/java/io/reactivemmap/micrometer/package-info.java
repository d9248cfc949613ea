/**
 * Micrometer meters for the mapping counters ({@link io.reactivemmap.micrometer.MappingMeters}). Needs
 * {@code io.micrometer:micrometer-core} on the class path, which this library declares optional.
 */
@NullMarked
package io.reactivemmap.micrometer;

import org.jspecify.annotations.NullMarked;
