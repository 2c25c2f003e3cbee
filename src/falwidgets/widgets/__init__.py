"""`FieldSpec` trees -> one anywidget form each (drawn in the browser by js/src/form), with a
registry for your own controls (ES modules) and widgets (composed ipywidgets/anywidgets)."""

from falwidgets.widgets._form import (
    Form,
    data_uri_uploader,
    form,
    register_control,
)
from falwidgets.widgets._registry import (
    REGISTRY,
    WidgetRegistry,
    register_widget,
)

default_uploader = data_uri_uploader  # a form's uploader when none is given: files as data URIs

__all__ = [
    "REGISTRY",
    "Form",
    "WidgetRegistry",
    "data_uri_uploader",
    "default_uploader",
    "form",
    "register_control",
    "register_widget",
]
