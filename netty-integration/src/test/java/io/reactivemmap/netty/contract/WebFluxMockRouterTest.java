package io.reactivemmap.netty.contract;

/** The contract against the WebFlux handler through the router bound to WebTestClient's mock server, the copy path. */
class WebFluxMockRouterTest extends WebFluxFront {
    @Override
    Way way() {
        return Way.MOCK_ROUTER;
    }
}
