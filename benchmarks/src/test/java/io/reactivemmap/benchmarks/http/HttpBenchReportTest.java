package io.reactivemmap.benchmarks.http;

import org.junit.jupiter.api.Test;
import org.w3c.dom.Document;

import javax.xml.parsers.DocumentBuilderFactory;
import java.io.ByteArrayInputStream;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

class HttpBenchReportTest {

    // server case rep conns duration_us requests bytes p99_us errors non2xx cpu_ticks clk_tck peak_rss_kb load1
    private static final List<String> TSV = List.of(
            "server\tcase\trep\tconns\tduration_us\trequests\tbytes\tp99_us\terrors\tnon2xx\tcpu_ticks\tclk_tck\tpeak_rss_kb\tload1",
            "nginx-sendfile\tplain-1g-c1\t1\t1\t10000000\t20\t20000000000\t500000\t0\t0\t200\t100\t10240\t1.0",
            "nginx-sendfile\tplain-1g-c1\t2\t1\t10000000\t30\t30000000000\t400000\t0\t0\t300\t100\t10240\t1.0",
            "nginx-sendfile\tplain-1g-c1\t3\t1\t10000000\t25\t25000000000\t450000\t0\t0\t100\t100\t10240\t1.0",
            "netty\tplain-1g-c1\t1\t1\t10000000\t10\t10000000000\t900000\t0\t0\t500\t100\t409600\t2.0",
            "netty\ttls-1g-c16\t1\t16\t10000000\t0\t5000000000\t0\t0\t0\t1000\t100\t409600\t2.0",
            "netty\tplain-64k-c16\t1\t16\t10000000\t300000\t19660800000\t5000\t0\t3\t400\t100\t409600\t2.0");

    @Test
    void figuresAreMediansOverRepetitionsAndRatiosAreAgainstNginxAndNetty() {
        Map<String, Map<String, HttpBenchReport.Summary>> s = HttpBenchReport.summarise(HttpBenchReport.parse(TSV));
        HttpBenchReport.Summary nginx = s.get("plain-1g-c1").get("nginx-sendfile");
        assertEquals(3, nginx.runs());
        assertEquals(2.5, nginx.gbPerSecond(), 1e-9);              // median of 2.0, 3.0, 2.5 GB/s
        assertEquals(450.0, nginx.p99Millis(), 1e-9);
        assertEquals(0.1, nginx.cpuSecondsPerGb(), 1e-9);           // median of 0.1, 0.1, 0.04 s/GB
        assertEquals(10.0, nginx.peakRssMib(), 1e-9);
        assertEquals(2.0, nginx.primaryMin(), 1e-9);
        assertEquals(3.0, nginx.primaryMax(), 1e-9);
        HttpBenchReport.Summary netty = s.get("plain-1g-c1").get("netty");
        assertEquals("0.40×", HttpBenchReport.ratio(netty.primary(), nginx.primary()));
        String md = HttpBenchReport.markdown(s, List.of("cpus=2"), List.of("ours-windows\tplain\tnot built"));
        assertTrue(md.contains("| Netty 4.2 DefaultFileRegion | 1.00 | 1.00 | 1.00–1.00 | 900.0 | 0.500 | 400 | 0.40× | 1.00× | 5.00× | 1.00× | 0 | 1 | 2.0 |"), md);
        assertTrue(md.contains("- ours-windows plain not built"), md);
    }

    @Test
    void aRunWithNoCompletedRequestHasNoLatencyButKeepsItsThroughput() {
        HttpBenchReport.Summary tls = HttpBenchReport.summarise(HttpBenchReport.parse(TSV)).get("tls-1g-c16").get("netty");
        assertTrue(Double.isNaN(tls.p99Millis()));
        assertEquals(0.5, tls.gbPerSecond(), 1e-9);
        assertEquals(2.0, tls.cpuSecondsPerGb(), 1e-9);
    }

    @Test
    void http2RowsFromH2loadHaveNoPercentileAndTheirOwnTitles() {
        List<String> tsv = List.of(TSV.get(0),
                "ours-windows\th2-64k-c16\t1\t16\t2000000\t20000\t1311000000\t-1\t0\t0\t150\t100\t409600\t1.5");
        HttpBenchReport.Summary h2 = HttpBenchReport.summarise(HttpBenchReport.parse(tsv)).get("h2-64k-c16").get("ours-windows");
        assertTrue(Double.isNaN(h2.p99Millis()), "h2load reports no p99");
        assertEquals(10000.0, h2.primary(), 1e-9);
        assertEquals("64 KiB files, HTTP/2 over TLS (h2load), 16 connections", HttpBenchReport.caseTitle("h2-64k-c16"));
        assertEquals("nginx 1.22 TLS (OpenSSL)", HttpBenchReport.serverTitle("nginx-sendfile", "h2-1g-c1"));
    }

    @Test
    void smallFileCasesAreJudgedByRequestsPerSecondAndReportStatusErrors() {
        Map<String, Map<String, HttpBenchReport.Summary>> s = HttpBenchReport.summarise(HttpBenchReport.parse(TSV));
        HttpBenchReport.Summary small = s.get("plain-64k-c16").get("netty");
        assertEquals(30000.0, small.primary(), 1e-9);
        assertTrue(HttpBenchReport.markdown(s, List.of(), List.of()).contains("0 socket, 3 status"));
    }

    @Test
    void chartIsWellFormedSvgWithTwoBarsPerServerAndCase() throws Exception {
        String svg = HttpBenchReport.svg(HttpBenchReport.summarise(HttpBenchReport.parse(TSV)));
        Document doc = DocumentBuilderFactory.newInstance()
                .newDocumentBuilder().parse(new ByteArrayInputStream(svg.getBytes(StandardCharsets.UTF_8)));
        assertEquals("svg", doc.getDocumentElement().getNodeName());
        // one background rect, then (throughput + CPU) bars for 2 + 1 + 1 server rows
        assertEquals(1 + 2 * 4, doc.getElementsByTagName("rect").getLength());
    }
}
