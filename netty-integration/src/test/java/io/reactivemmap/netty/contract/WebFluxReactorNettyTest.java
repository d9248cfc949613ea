package io.reactivemmap.netty.contract;

/** The contract against the WebFlux handler through a functional router on a real Reactor Netty server, the zero-copy path. */
class WebFluxReactorNettyTest extends WebFluxFront {
    @Override
    Way way() {
        return Way.REACTOR_NETTY;
    }
}
