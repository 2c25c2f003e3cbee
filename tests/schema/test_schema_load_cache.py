"""`load_endpoint`'s cache: a dict is keyed on its content, and the cache is bounded."""

from __future__ import annotations

import copy

from falwidgets.schema import _endpoint, load_endpoint


def _doc(*names: str) -> dict:
    return {
        "openapi": "3.0.0",
        "components": {
            "schemas": {
                "Input": {
                    "type": "object",
                    "properties": {n: {"type": "string"} for n in names},
                },
                "Output": {"type": "object", "properties": {"x": {"type": "string"}}},
            }
        },
        "paths": {},
    }


def _input_names(schema) -> list[str]:
    return [p.name for p in schema.input.properties]


def test_a_dict_edited_in_place_loads_afresh() -> None:
    doc = _doc("a")
    assert _input_names(load_endpoint(doc)) == ["a"]
    doc["components"]["schemas"]["Input"]["properties"]["b"] = {"type": "integer"}
    assert _input_names(load_endpoint(doc)) == ["a", "b"]


def test_equal_dicts_share_one_schema_and_later_edits_do_not_reach_it() -> None:
    doc = _doc("p", "q")
    first = load_endpoint(doc)
    assert load_endpoint(copy.deepcopy(doc)) is first  # same content, same cached schema
    doc["components"]["schemas"]["Input"]["properties"].pop("q")
    assert _input_names(first) == ["p", "q"]  # the cached schema kept its own copy
    assert _input_names(load_endpoint(doc)) == ["p"]


def test_field_order_is_part_of_the_key() -> None:
    assert _input_names(load_endpoint(_doc("x", "y"))) == ["x", "y"]
    assert _input_names(load_endpoint(_doc("y", "x"))) == ["y", "x"]


def test_dict_entries_are_bounded() -> None:
    limit = _endpoint._CACHE_LIMITS["dict"]
    for i in range(limit + 10):
        load_endpoint(_doc(f"f{i}"))
    assert len(_endpoint._caches["dict"]) == limit
