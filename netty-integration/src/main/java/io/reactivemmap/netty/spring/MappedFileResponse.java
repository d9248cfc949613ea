package io.reactivemmap.netty.spring;

import org.springframework.http.HttpHeaders;
import org.springframework.http.HttpStatusCode;
import org.springframework.http.ResponseCookie;
import org.springframework.http.server.reactive.ServerHttpResponse;
import org.springframework.util.LinkedMultiValueMap;
import org.springframework.util.MultiValueMap;
import org.springframework.web.reactive.function.server.ServerResponse;
import org.springframework.web.server.ServerWebExchange;
import reactor.core.publisher.Mono;

import java.util.List;

/**
 * The {@link ServerResponse} of {@link MappedFileHandler#handle}. Implemented here rather than built with
 * {@code ServerResponse.status(...)}: Spring's built responses run {@code exchange.checkNotModified} on their
 * {@code ETag} and {@code Last-Modified} before writing, which would evaluate the request's conditional headers a
 * second time, with different rules, after {@link io.reactivemmap.netty.http.ResponsePlan} decided the response.
 */
final class MappedFileResponse implements ServerResponse {
    private final MappedFileHandler.Prepared prepared;
    private final MappedFileHandler handler;
    private final MultiValueMap<String, ResponseCookie> cookies = new LinkedMultiValueMap<>();

    MappedFileResponse(MappedFileHandler.Prepared prepared, MappedFileHandler handler) {
        this.prepared = prepared;
        this.handler = handler;
    }

    @Override
    public HttpStatusCode statusCode() {
        return prepared.status();
    }

    @Override
    public HttpHeaders headers() {
        return prepared.headers();
    }

    @Override
    public MultiValueMap<String, ResponseCookie> cookies() {
        return cookies;
    }

    @Override
    public Mono<Void> writeTo(ServerWebExchange exchange, Context context) {
        ServerHttpResponse response = exchange.getResponse();
        response.setStatusCode(prepared.status());
        response.getHeaders().putAll(prepared.headers());
        for (List<ResponseCookie> list : cookies.values()) {
            for (ResponseCookie c : list) {
                response.addCookie(c);
            }
        }
        return handler.write(prepared, response);
    }
}
