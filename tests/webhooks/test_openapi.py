"""Every /webhooks endpoint of API.md is in the served OpenAPI document, with its schemas and error statuses."""

import pytest

EXPECTED = {
    ("get", "/api/v1/webhooks"): {"200", "401", "403"},
    ("post", "/api/v1/webhooks"): {"201", "401", "403", "422"},
    ("get", "/api/v1/webhooks/{endpoint_id}"): {"200", "401", "403", "404"},
    ("patch", "/api/v1/webhooks/{endpoint_id}"): {"200", "401", "403", "404", "422"},
    ("delete", "/api/v1/webhooks/{endpoint_id}"): {"204", "401", "403", "404"},
    ("post", "/api/v1/webhooks/{endpoint_id}/rotate-secret"): {"200", "401", "403", "404"},
    ("post", "/api/v1/webhooks/{endpoint_id}/test"): {"200", "401", "403", "404", "409"},
    ("get", "/api/v1/webhooks/{endpoint_id}/deliveries"): {"200", "401", "403", "404", "422"},
    ("post", "/api/v1/webhooks/{endpoint_id}/deliveries/{delivery_id}/redeliver"): {"202", "401", "403", "404", "409"},
}


@pytest.fixture
def document(client):
    return client.get("/api/v1/openapi.json").get_json()


@pytest.mark.parametrize("method, path", sorted(EXPECTED))
def test_described(document, method, path):
    operation = document["paths"][path][method]
    assert set(operation["responses"]) >= EXPECTED[(method, path)]
    success = next(s for s in operation["responses"] if s.startswith("2"))
    if success != "204":
        assert "content" in operation["responses"][success]
    if method in ("post", "patch") and path.endswith(("webhooks", "{endpoint_id}")):
        assert "requestBody" in operation


def test_the_secret_is_only_in_the_create_answer(document):
    schemas = document["components"]["schemas"]
    assert "secret" in schemas["WebhookEndpointCreated"]["properties"]
    assert "secret" not in schemas["WebhookEndpoint"]["properties"]
