/**
 * Machinery behind the public API: native advice, the process-wide counters, map-count discovery.
 * Not API: anything here may change or disappear in any release.
 */
@NullMarked
package io.reactivemmap.internal;

import org.jspecify.annotations.NullMarked;
