"""FieldSpec builders shared by the widget tests (hand-made trees, independent of the loader)."""

from __future__ import annotations

from typing import Any

from falwidgets.schema import FieldSpec


def obj(*props: FieldSpec, name: str = "", **kw: Any) -> FieldSpec:
    return FieldSpec(name=name, kind="object", properties=props, required=True, **kw)


def field(name: str, kind: str, **kw: Any) -> FieldSpec:
    kw.setdefault("required", True)
    return FieldSpec(name=name, kind=kind, **kw)  # type: ignore[arg-type]


IMAGE_SIZE = FieldSpec(
    name="image_size",
    kind="union",
    role="image_size",
    default="landscape_4_3",
    variants=(
        FieldSpec(
            name="ImageSize",
            kind="object",
            ref="ImageSize",
            properties=(
                FieldSpec(
                    name="width", kind="integer", default=512, exclusive_minimum=0, maximum=14142
                ),
                FieldSpec(
                    name="height", kind="integer", default=512, exclusive_minimum=0, maximum=14142
                ),
            ),
        ),
        FieldSpec(
            name="preset",
            kind="enum",
            enum=("square_hd", "square", "portrait_4_3", "landscape_4_3", "landscape_16_9"),
        ),
    ),
)
