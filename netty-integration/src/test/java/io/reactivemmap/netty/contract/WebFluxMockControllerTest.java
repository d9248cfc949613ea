package io.reactivemmap.netty.contract;

/** The contract against the WebFlux handler through an annotated controller bound to WebTestClient, the copy path. */
class WebFluxMockControllerTest extends WebFluxFront {
    @Override
    Way way() {
        return Way.MOCK_CONTROLLER;
    }
}
