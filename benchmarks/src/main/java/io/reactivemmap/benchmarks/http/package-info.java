/**
 * Peer HTTP file servers for the side-by-side HTTP benchmark ({@code benchmarks/http/run.sh}): a classic Netty
 * handler, Reactor Netty {@code sendFile}, Spring WebFlux serving a {@code Resource}, and the report generator that
 * turns the script's measurements into a Markdown table and an SVG chart.
 *
 * <p>The peers are written the way a user of each stack would write a static file server, without tuning that
 * stack's defaults; they serve files only (no ranges, no directory listings) and bind to the address they are given.
 */
@NullMarked
package io.reactivemmap.benchmarks.http;

import org.jspecify.annotations.NullMarked;
