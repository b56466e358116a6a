"""The OpenAPI document is worth generating from: ids, security, tags, texts and examples."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import pytest

from dme_portal.main import create_app

OPERATION_ID = re.compile(r"^[a-z][A-Za-z0-9]+$")
METHODS = {"get", "put", "post", "delete", "patch", "head", "options", "trace"}


@pytest.fixture(scope="module")
def document() -> dict[str, Any]:
    return create_app().openapi()


def operations(document: dict[str, Any]) -> Iterator[tuple[str, dict[str, Any]]]:
    for path, item in document["paths"].items():
        for method, operation in item.items():
            if method in METHODS:
                yield f"{method.upper()} {path}", operation


class TestOperationIds:
    def test_every_operation_has_a_readable_unique_id(self, document: dict[str, Any]) -> None:
        ids = {label: op.get("operationId", "") for label, op in operations(document)}

        assert {label: i for label, i in ids.items() if not OPERATION_ID.match(i)} == {}
        assert len(set(ids.values())) == len(ids)

    def test_ids_that_clients_depend_on(self, document: dict[str, Any]) -> None:
        ids = {label: op["operationId"] for label, op in operations(document)}

        # A generated TypeScript client and the generated Python client call these by name.
        assert ids["POST /v1/authorization-requests"] == "submitAuthorizationRequest"
        assert ids["GET /v1/authorization-requests/{request_id}"] == "getAuthorizationRequest"
        assert ids["POST /v1/auth/token"] == "issueToken"


class TestSecurity:
    def test_oauth2_flows_point_at_the_token_endpoint(self, document: dict[str, Any]) -> None:
        schemes = document["components"]["securitySchemes"]

        assert schemes["HTTPBearer"] == {**schemes["HTTPBearer"], "scheme": "bearer"}
        flows = schemes["OAuth2"]["flows"]
        assert set(flows) == {"clientCredentials", "password"}
        assert {f["tokenUrl"] for f in flows.values()} == {"/v1/auth/token"}
        assert "/v1/auth/token" in document["paths"]

    def test_operations_take_either_scheme_and_public_ones_say_so(
        self, document: dict[str, Any]
    ) -> None:
        public = {"POST /v1/auth/token", "GET /healthz", "GET /readyz"}
        for label, operation in operations(document):
            expected = [] if label in public else [{"HTTPBearer": []}, {"OAuth2": []}]
            assert operation["security"] == expected, label


class TestTagsAndInfo:
    def test_every_operation_tag_is_declared_with_a_description(
        self, document: dict[str, Any]
    ) -> None:
        declared = [t["name"] for t in document["tags"]]
        used = {tag for _, op in operations(document) for tag in op.get("tags", [])}

        assert declared[:3] == ["auth", "authorization requests", "attachments"]
        assert used == set(declared)
        assert all(t.get("description") for t in document["tags"])
        assert all(len(op.get("tags", [])) == 1 for _, op in operations(document))

    def test_info_and_servers(self, document: dict[str, Any]) -> None:
        info = document["info"]

        assert info["license"] == {"name": "Apache-2.0", "identifier": "Apache-2.0"}
        assert info["contact"]["name"]
        assert "Getting started" in info["description"]
        assert document["servers"] == [
            {"url": "/", "description": document["servers"][0]["description"]}
        ]
