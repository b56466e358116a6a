"""The OpenAPI document is worth generating from: ids, security, tags, texts and examples."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from typing import Any

import pytest
from pydantic import BaseModel

from dme_portal.api.openapi import examples
from dme_portal.config import AuthSettings, Settings
from dme_portal.main import create_app

OPERATION_ID = re.compile(r"^[a-z][A-Za-z0-9]+$")
METHODS = {"get", "put", "post", "delete", "patch", "head", "options", "trace"}


@pytest.fixture(scope="module")
def document() -> dict[str, Any]:
    """The document as ``make openapi`` writes it: no database, so once, not per backend."""
    settings = Settings(env="test", auth=AuthSettings(secret_key="test-secret-" + "x" * 40))
    return create_app(settings).openapi()


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
        # The revocation endpoint takes the token itself, Basic or a bearer token (RFC 7009).
        public = {"POST /v1/auth/token", "POST /v1/auth/revoke", "GET /healthz", "GET /readyz"}
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


def _is_json(media_type: str) -> bool:
    return media_type == "application/json" or media_type.endswith("+json")


def _resolve(document: dict[str, Any], node: dict[str, Any]) -> dict[str, Any]:
    ref = node.get("$ref")
    if not ref:
        return node
    found: Any = document
    for part in ref.removeprefix("#/").split("/"):
        found = found[part]
    return _resolve(document, found)


def _has_example(document: dict[str, Any], media: dict[str, Any]) -> bool:
    if media.get("example") is not None or media.get("examples"):
        return True
    schema = _resolve(document, media.get("schema", {}))
    # An optional body is anyOf [the model, null]: the model's examples count.
    options = [_resolve(document, o) for o in schema.get("anyOf", [])] or [schema]
    return any(o.get("examples") for o in options if o.get("type") != "null")


def _walk_schema(
    where: str, node: Any, *, is_property: bool = False
) -> Iterator[tuple[str, dict[str, Any], bool]]:
    """Every (sub)schema with its location and whether it is an object's property."""
    if not isinstance(node, dict):
        return
    yield where, node, is_property
    for name, sub in node.get("properties", {}).items():
        yield from _walk_schema(f"{where}.{name}", sub, is_property=True)
    for key in ("items", "additionalProperties"):
        if isinstance(node.get(key), dict):
            yield from _walk_schema(f"{where}[]", node[key])
    for key in ("anyOf", "oneOf", "allOf"):
        for i, sub in enumerate(node.get(key, [])):
            yield from _walk_schema(f"{where}<{key}{i}>", sub)


def gaps(document: dict[str, Any]) -> list[str]:
    """What a vendor's developer would find undocumented, one line each."""
    out: list[str] = []
    for label, op in operations(document):
        for key in ("summary", "description"):
            if not op.get(key):
                out.append(f"{label}: no {key}")
        for parameter in op.get("parameters", []):
            if not parameter.get("description"):
                out.append(f"{label}: parameter {parameter['name']} has no description")
        bodies = [("request body", op.get("requestBody", {}))]
        bodies += [(f"response {s}", r) for s, r in op.get("responses", {}).items()]
        for what, body in bodies:
            for media_type, media in body.get("content", {}).items():
                if _is_json(media_type) and not _has_example(document, media):
                    out.append(f"{label}: {what} ({media_type}) has no example")
    for name, schema in document["components"]["schemas"].items():
        if not schema.get("description"):
            out.append(f"schema {name}: no description")
        for where, node, is_property in _walk_schema(name, schema):
            if is_property and not node.get("description"):
                out.append(f"property {where}: no description")
            values = node.get("enum")
            if values and len(values) > 1:
                meanings = node.get("x-enumDescriptions", {})
                missing = [v for v in values if not meanings.get(v)]
                if missing:
                    out.append(f"enum {where}: no description for {missing}")
    return out


class TestNothingUndocumented:
    """Fails, naming each gap, when an operation, schema, property or body lacks its text."""

    def test_every_operation_schema_property_enum_value_and_body_is_documented(
        self, document: dict[str, Any]
    ) -> None:
        assert gaps(document) == []


def _example_id(example: tuple[type[BaseModel], dict[str, Any]]) -> str:
    model, value = example
    return f"{model.__name__}:{json.dumps(value)[:40]}"


@pytest.mark.parametrize(
    ("model", "example"),
    list(examples.all_examples()),
    ids=map(_example_id, examples.all_examples()),
)
def test_every_example_is_valid_for_its_model(
    model: type[BaseModel], example: dict[str, Any]
) -> None:
    """Request examples pass the API's own validation (codes, NPIs, CINs, strict types).

    A response example must also be exact: read back through its model it is unchanged (no
    misspelt or stale field), and a required field added to a response model fails here until
    its examples have it.
    """
    parsed = model.model_validate_json(json.dumps(example))
    if model.model_config.get("extra") != "forbid":
        assert parsed.model_dump(mode="json", by_alias=True, exclude_unset=True) == example


def test_component_examples_are_the_models_examples(document: dict[str, Any]) -> None:
    schemas = document["components"]["schemas"]

    for model, values in examples.EXAMPLES.items():
        assert schemas[model.__name__]["examples"] == values, model.__name__
