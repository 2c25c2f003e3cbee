"""`FieldSpec` trees -> ipywidgets forms through an extensible spec -> widget registry."""

from falwidgets.widgets._base import BuildContext, FieldWidget, default_uploader
from falwidgets.widgets._face import FaceForm, face_form, register_control
from falwidgets.widgets._form import Form, form
from falwidgets.widgets._registry import (
    REGISTRY,
    WidgetRegistry,
    register_widget,
)

__all__ = [
    "REGISTRY",
    "BuildContext",
    "FaceForm",
    "FieldWidget",
    "Form",
    "WidgetRegistry",
    "default_uploader",
    "face_form",
    "form",
    "register_control",
    "register_widget",
]
