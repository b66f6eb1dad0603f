"""Turn the OpenAPI document into rows for ``api_docs.html`` (rendered on the server; the
template escapes every value, descriptions included)."""

from __future__ import annotations

import re
from typing import Any

_METHODS = ("get", "post", "put", "patch", "delete")


def type_name(schema: Any) -> str:
    """A short human name for a JSON schema: ``Account``, ``array of Account``,
    ``string | null``, ``"viewer" | "editor"``."""
    if not isinstance(schema, dict):
        return "any"
    if "$ref" in schema:
        return str(schema["$ref"]).rsplit("/", 1)[-1]
    if "enum" in schema:
        return " | ".join(repr(value).replace("'", '"') for value in schema["enum"])
    if "const" in schema:
        return repr(schema["const"]).replace("'", '"')
    for combinator in ("anyOf", "oneOf", "allOf"):
        if combinator in schema:
            return " | ".join(type_name(part) for part in schema[combinator])
    kind = schema.get("type")
    if kind == "array":
        return f"array of {type_name(schema.get('items'))}"
    if kind == "object" and isinstance(schema.get("additionalProperties"), dict):
        return f"object of {type_name(schema['additionalProperties'])}"
    if isinstance(kind, list):
        return " | ".join(str(part) for part in kind)
    return str(kind or schema.get("title") or "any")


def _anchor(method: str, path: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", f"{method} {path}".lower()).strip("-")


def _body(operation: dict[str, Any]) -> dict[str, str] | None:
    content = (operation.get("requestBody") or {}).get("content") or {}
    for content_type, media in content.items():
        return {"content_type": content_type, "type": type_name(media.get("schema"))}
    return None


def _responses(operation: dict[str, Any]) -> list[dict[str, str]]:
    rows = []
    for status, response in sorted((operation.get("responses") or {}).items()):
        content: dict[str, Any] = response.get("content") or {}
        media: dict[str, Any] = next(iter(content.values()), {})
        schema = media.get("schema")
        rows.append(
            {
                "status": str(status),
                "description": str(response.get("description", "")),
                "type": type_name(schema) if schema else "",
            }
        )
    return rows


def describe_openapi(spec: dict[str, Any]) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """(operations, schemas) of ``spec``, operations in path order."""
    operations = []
    for path, item in sorted((spec.get("paths") or {}).items()):
        for method in _METHODS:
            operation = item.get(method)
            if not isinstance(operation, dict):
                continue
            parameters = [
                {
                    "name": str(parameter.get("name", "")),
                    "where": str(parameter.get("in", "")),
                    "type": type_name(parameter.get("schema")),
                    "required": bool(parameter.get("required")),
                    "description": str(parameter.get("description", "")),
                }
                for parameter in operation.get("parameters") or []
                if isinstance(parameter, dict)
            ]
            operations.append(
                {
                    "method": method.upper(),
                    "path": path,
                    "anchor": _anchor(method, path),
                    "summary": str(operation.get("summary", "")),
                    "description": str(operation.get("description", "")),
                    "parameters": parameters,
                    "body": _body(operation),
                    "responses": _responses(operation),
                }
            )
    schemas = []
    for name, schema in sorted(((spec.get("components") or {}).get("schemas") or {}).items()):
        required = set(schema.get("required") or [])
        schemas.append(
            {
                "name": name,
                "description": str(schema.get("description", "")),
                "fields": [
                    {
                        "name": field,
                        "type": type_name(value),
                        "required": field in required,
                        "description": str(value.get("description", ""))
                        if isinstance(value, dict)
                        else "",
                    }
                    for field, value in (schema.get("properties") or {}).items()
                ],
            }
        )
    return operations, schemas
