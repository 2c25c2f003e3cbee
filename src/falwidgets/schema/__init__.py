"""JSON Schema documents and Pydantic models -> `FieldSpec` trees and Pydantic models."""

from falwidgets.schema._field import MISSING, FieldSpec

__all__ = ["MISSING", "FieldSpec"]
