package io.reactivemmap.micrometer;

import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Tag;
import io.micrometer.core.instrument.Tags;
import io.micrometer.core.instrument.binder.BaseUnits;
import io.micrometer.core.instrument.binder.MeterBinder;
import io.reactivemmap.MappingBudget;
import io.reactivemmap.internal.Metrics;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.LongAdder;

/**
 * Binds the process-wide mapping counters (those of {@link io.reactivemmap.MappingStats}) and, for each budget
 * named with {@link #withBudget}, its use, to a Micrometer {@link MeterRegistry}:
 *
 * <pre>{@code
 * new MappingMeters().withBudget("global", MappingBudget.global()).bindTo(registry);
 * }</pre>
 *
 * <table>
 *   <caption>Meters (Micrometer names; a Prometheus registry adds {@code _bytes}, {@code _total} suffixes)</caption>
 *   <tr><th>Name</th><th>Type</th><th>Unit</th><th>What</th></tr>
 *   <tr><td>{@code reactivemmap.windows.live}</td><td>gauge</td><td>windows</td><td>mapped and not yet unmapped</td></tr>
 *   <tr><td>{@code reactivemmap.mapped}</td><td>gauge</td><td>bytes</td><td>address space those windows map</td></tr>
 *   <tr><td>{@code reactivemmap.mapped.peak}</td><td>gauge</td><td>bytes</td><td>highest {@code reactivemmap.mapped}
 *       since start-up (or {@code MappingStats.resetPeak()})</td></tr>
 *   <tr><td>{@code reactivemmap.windows.mapped}</td><td>counter</td><td>windows</td><td>mapped since start-up</td></tr>
 *   <tr><td>{@code reactivemmap.windows.unmapped}</td><td>counter</td><td>windows</td><td>unmapped since start-up</td></tr>
 *   <tr><td>{@code reactivemmap.mapped.total}</td><td>counter</td><td>bytes</td><td>mapped since start-up</td></tr>
 *   <tr><td>{@code reactivemmap.budget.waits}</td><td>counter</td><td>waits</td><td>a source waited for its budget</td></tr>
 *   <tr><td>{@code reactivemmap.budget.rejections}</td><td>counter</td><td>rejections</td><td>a source failed fast on a
 *       spent budget</td></tr>
 *   <tr><td>{@code reactivemmap.truncations}</td><td>counter</td><td>truncations</td><td>reads that found their file
 *       shorter than when the stream started ({@code FileTruncatedException}s)</td></tr>
 *   <tr><td>{@code reactivemmap.advice.failures}</td><td>counter</td><td>failures</td><td>{@code madvise} /
 *       {@code posix_fadvise} calls the kernel refused</td></tr>
 *   <tr><td>{@code reactivemmap.unmaps.deferred}</td><td>counter</td><td>unmaps</td><td>unmaps retried because another
 *       thread still used the memory</td></tr>
 *   <tr><td>{@code reactivemmap.budget.windows}, {@code reactivemmap.budget.bytes}</td><td>gauge</td><td>windows,
 *       bytes</td><td>what a named budget has out, tagged {@code budget}</td></tr>
 *   <tr><td>{@code reactivemmap.budget.max.windows}, {@code reactivemmap.budget.max.bytes}</td><td>gauge</td><td>windows,
 *       bytes</td><td>its limits</td></tr>
 *   <tr><td>{@code reactivemmap.budget.waiting}</td><td>gauge</td><td>sources</td><td>sources waiting for it now</td></tr>
 * </table>
 *
 * <p>Every meter carries the tags given to the constructor. The meters read the counters when the registry polls
 * them; binding costs nothing on the mapping path. Budgets are held strongly by the registry's gauges once bound.
 */
public final class MappingMeters implements MeterBinder {
    private final Tags tags;
    private final Map<String, MappingBudget> budgets = new LinkedHashMap<>();

    /** Meters with no extra tags. */
    public MappingMeters() {
        this(Tags.empty());
    }

    /** Meters that all carry {@code tags} (for example the application's name). */
    public MappingMeters(Iterable<Tag> tags) {
        this.tags = Tags.of(Objects.requireNonNull(tags, "tags"));
    }

    /**
     * Also reports {@code budget}'s use, tagged {@code budget=name}.
     *
     * @throws IllegalArgumentException if {@code name} is blank or already used
     */
    public MappingMeters withBudget(String name, MappingBudget budget) {
        Objects.requireNonNull(name, "name");
        Objects.requireNonNull(budget, "budget");
        if (name.isBlank()) {
            throw new IllegalArgumentException("a budget needs a name for its tag; got a blank one");
        }
        if (budgets.putIfAbsent(name, budget) != null) {
            throw new IllegalArgumentException("a budget named \"" + name + "\" is already bound; give each its own name");
        }
        return this;
    }

    @Override
    public void bindTo(MeterRegistry registry) {
        Objects.requireNonNull(registry, "registry");
        gauge(registry, "reactivemmap.windows.live", Metrics.LIVE_WINDOWS, "windows", "windows mapped and not yet unmapped");
        gauge(registry, "reactivemmap.mapped", Metrics.MAPPED_BYTES, BaseUnits.BYTES, "address space mapped by live windows");
        gauge(registry, "reactivemmap.mapped.peak", Metrics.PEAK_MAPPED_BYTES, BaseUnits.BYTES,
                "highest address space mapped at once since start-up");
        counter(registry, "reactivemmap.windows.mapped", Metrics.WINDOWS_MAPPED, "windows", "windows mapped");
        counter(registry, "reactivemmap.windows.unmapped", Metrics.WINDOWS_UNMAPPED, "windows", "windows unmapped");
        counter(registry, "reactivemmap.mapped.total", Metrics.BYTES_MAPPED_TOTAL, BaseUnits.BYTES, "bytes mapped");
        counter(registry, "reactivemmap.budget.waits", Metrics.BUDGET_WAITS, "waits", "times a source waited for its budget");
        counter(registry, "reactivemmap.budget.rejections", Metrics.BUDGET_REJECTIONS, "rejections",
                "times a source failed fast because its budget was spent");
        counter(registry, "reactivemmap.truncations", Metrics.TRUNCATIONS, "truncations",
                "reads that found their file shorter than when the stream started");
        counter(registry, "reactivemmap.advice.failures", Metrics.ADVICE_FAILURES, "failures",
                "madvise/posix_fadvise calls the kernel refused");
        counter(registry, "reactivemmap.unmaps.deferred", Metrics.DEFERRED_UNMAPS, "unmaps",
                "unmaps retried because another thread still used the memory");
        budgets.forEach((name, budget) -> {
            Tags t = tags.and("budget", name);
            Gauge.builder("reactivemmap.budget.windows", budget, MappingBudget::liveWindows).tags(t).baseUnit("windows")
                    .description("windows a budget has out").register(registry);
            Gauge.builder("reactivemmap.budget.bytes", budget, MappingBudget::mappedBytes).tags(t).baseUnit(BaseUnits.BYTES)
                    .description("bytes a budget has out").register(registry);
            Gauge.builder("reactivemmap.budget.max.windows", budget, MappingBudget::maxWindows).tags(t).baseUnit("windows")
                    .description("the most windows a budget lets out").register(registry);
            Gauge.builder("reactivemmap.budget.max.bytes", budget, MappingBudget::maxBytes).tags(t).baseUnit(BaseUnits.BYTES)
                    .description("the most bytes a budget lets out").register(registry);
            Gauge.builder("reactivemmap.budget.waiting", budget, MappingBudget::waiting).tags(t).baseUnit("sources")
                    .description("sources waiting for a budget now").register(registry);
        });
    }

    private void gauge(MeterRegistry registry, String name, AtomicLong value, String unit, String description) {
        Gauge.builder(name, value, AtomicLong::get).tags(tags).baseUnit(unit).description(description).register(registry);
    }

    private void counter(MeterRegistry registry, String name, LongAdder value, String unit, String description) {
        FunctionCounter.builder(name, value, LongAdder::sum).tags(tags).baseUnit(unit).description(description)
                .register(registry);
    }
}
