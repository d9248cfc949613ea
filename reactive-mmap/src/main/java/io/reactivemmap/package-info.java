/**
 * Files streamed to Reactor subscribers as lazily mapped, deterministically unmapped {@link io.reactivemmap.MappedWindow windows}.
 *
 * <p>Start at {@link io.reactivemmap.MappedFile}. Every type here is null-marked: a parameter or return value is
 * never {@code null} unless annotated {@code @Nullable}.
 */
@NullMarked
package io.reactivemmap;

import org.jspecify.annotations.NullMarked;
