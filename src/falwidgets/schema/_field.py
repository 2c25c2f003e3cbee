"""`FieldSpec`: the one normal form that JSON Schema documents and Pydantic models both become.

The schema layer turns any input description into a tree of `FieldSpec`; the widgets layer maps
each node to a widget through its registry and never looks at raw JSON Schema again. Field names
follow JSON Schema vocabulary (like magicgui's `UiField`) so that the mapping stays obvious.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field, replace
from typing import Any, Literal

from falwidgets.schema._labels import label_for


class _Missing:
    """Sentinel for "no default": `None` is a real default in fal schemas."""

    _instance: _Missing | None = None

    def __new__(cls) -> _Missing:
        if cls._instance is None:
            cls._instance = super().__new__(cls)
        return cls._instance

    def __repr__(self) -> str:
        return "MISSING"

    def __bool__(self) -> bool:
        return False

    def __reduce__(self) -> str:
        return "MISSING"


MISSING: Any = _Missing()

Kind = Literal[
    "string",  # plain, prompt, URL, JSON-holding strings (see `role`)
    "integer",
    "number",
    "boolean",
    "enum",  # `enum` holds the choices (strings or numbers)
    "const",  # `const` holds the value
    "object",  # `properties` holds the children in display order
    "array",  # `items` holds the element spec
    "union",  # `variants` holds the non-null branches (nullability is `nullable`)
    "any",  # untyped or not understood; `warnings` says why
]

Role = Literal["prompt", "seed", "image_size", "color", "json", "file"]
Media = Literal["image", "video", "audio", "file", "model3d", "mask"]


@dataclass(frozen=True, eq=True)
class FieldSpec:
    """Everything a form needs to know about one field (or the root object).

    `nullable` is `X | null` (or OpenAPI `nullable: true`): the widget gets an optional toggle that
    sends nothing when off. `role` and `media` are semantic hints the schema layer derives from
    names, `$ref` targets and fal's `ui` keys, so that widgets need no name heuristics of their own.
    """

    name: str
    kind: Kind
    title: str = ""
    description: str = ""
    required: bool = False
    nullable: bool = False
    default: Any = MISSING
    examples: tuple[Any, ...] = ()
    # choices
    enum: tuple[Any, ...] = ()
    const: Any = MISSING
    # numbers
    minimum: float | None = None
    maximum: float | None = None
    exclusive_minimum: float | None = None
    exclusive_maximum: float | None = None
    multiple_of: float | None = None
    # strings
    min_length: int | None = None
    max_length: int | None = None
    pattern: str | None = None
    format: str | None = None
    # arrays
    min_items: int | None = None
    max_items: int | None = None
    unique_items: bool = False
    items: FieldSpec | None = None
    # objects
    properties: tuple[FieldSpec, ...] = ()
    additional_properties: bool = False
    # unions
    variants: tuple[FieldSpec, ...] = ()
    # fal semantics
    role: Role | None = None
    media: Media | None = None
    important: bool = False
    hidden: bool = False
    deprecated: bool = False
    ref: str | None = None  # component name this node came from ("ImageSize", "RGBColor", ...)
    hints: Mapping[str, Any] = field(default_factory=dict)  # fal `ui`, `x-fal`, limit text, ...
    warnings: tuple[str, ...] = ()  # what was not understood (broken $ref, odd keys, ...)
    schema: Mapping[str, Any] = field(default_factory=dict, compare=False, repr=False)

    __hash__ = None  # type: ignore[assignment]  # holds mappings; compare, don't hash

    @property
    def label(self) -> str:
        """Human label: a schema title someone wrote, else the name in words with proper
        acronyms ("Keyframe image URLs"), not pydantic's "Keyframe Image Urls"."""
        return label_for(self.name, self.title)

    @property
    def has_default(self) -> bool:
        return self.default is not MISSING

    @property
    def bounded(self) -> bool:
        """Both ends known (inclusive or exclusive): a slider is possible."""
        low = self.minimum if self.minimum is not None else self.exclusive_minimum
        high = self.maximum if self.maximum is not None else self.exclusive_maximum
        return low is not None and high is not None

    def child(self, name: str) -> FieldSpec:
        """The property `name` of an object spec; `KeyError` if there is none."""
        for prop in self.properties:
            if prop.name == name:
                return prop
        raise KeyError(name)

    def walk(self) -> Iterator[FieldSpec]:
        """This spec and every spec below it, depth first."""
        yield self
        for sub in (*self.properties, *self.variants, *((self.items,) if self.items else ())):
            yield from sub.walk()

    def evolve(self, **changes: Any) -> FieldSpec:
        """A copy with some attributes changed (specs are immutable)."""
        return replace(self, **changes)
