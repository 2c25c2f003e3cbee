"""Sweep grid expansion and the inputs diff: pure data, no server."""

from __future__ import annotations

import pytest

from falwidgets.runner._diff import diff, flatten
from falwidgets.runner._diff import rows as all_rows
from falwidgets.runner._grid import GridError, expand, label


def test_expand_is_cartesian_row_major_and_keeps_base() -> None:
    points = expand({"prompt": "cat", "steps": 4}, {"seed": [1, 2], "steps": [8, 16, 32]})
    assert len(points) == 6
    assert [p for p, _ in points][:3] == [
        {"seed": 1, "steps": 8},
        {"seed": 1, "steps": 16},
        {"seed": 1, "steps": 32},
    ]
    params, args = points[-1]
    assert params == {"seed": 2, "steps": 32}
    assert args == {"prompt": "cat", "steps": 32, "seed": 2}


def test_expand_dotted_keys_set_nested_fields_without_sharing_state() -> None:
    base = {"image_size": {"width": 512, "height": 512}}
    points = expand(base, {"image_size.width": [256, 1024]})
    assert points[0][1]["image_size"] == {"width": 256, "height": 512}
    assert points[1][1]["image_size"] == {"width": 1024, "height": 512}
    assert base["image_size"]["width"] == 512  # base untouched


@pytest.mark.parametrize(
    ("grid", "message"),
    [
        ({}, "non-empty dict"),
        ({"seed": 3}, "grid['seed'] must be a list"),
        ({"prompt": "a cat"}, "did you mean ['a cat']"),
        ({"seed": []}, "grid['seed'] is empty"),
        ({"a": list(range(40)), "b": list(range(40))}, "1600 points"),
    ],
)
def test_bad_grids_name_the_key(grid: dict, message: str) -> None:
    with pytest.raises(GridError) as info:
        expand({}, grid)
    assert message in str(info.value)


def test_label_is_short() -> None:
    text = label({"seed": 7, "prompt": "x" * 100})
    assert text.startswith("seed=7 · prompt=")
    assert len(text) < 60


def test_diff_lists_only_changed_paths_and_rows_list_all() -> None:
    a = {"prompt": "<b>cat</b>", "seed": 1, "size": {"w": 1, "h": 2}, "only_a": True}
    b = {"prompt": "<b>cat</b>", "seed": 2, "size": {"w": 1, "h": 3}, "only_b": "x"}
    rows = diff(a, b)
    assert [r[0] for r in rows] == ["seed", "size.h", "only_a", "only_b"]
    assert rows[2][2] is diff.ABSENT
    every = all_rows(a, b)  # the comparison shows every path, the differing ones highlighted
    assert [r[0] for r in every] == ["prompt", "seed", "size.w", "size.h", "only_a", "only_b"]
    assert [r[3] for r in every] == [False, True, False, True, True, True]
    assert not any(r[3] for r in all_rows(a, dict(a)))


def test_flatten_nested_lists_of_objects() -> None:
    flat = flatten({"loras": [{"path": "a", "scale": 1}], "tags": [1, 2]})
    assert flat == {"loras[0].path": "a", "loras[0].scale": 1, "tags": [1, 2]}
