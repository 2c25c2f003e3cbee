"""Labels read like a person wrote them; unknown endpoint ids get a plain error with suggestions."""

from __future__ import annotations

import pytest
from pydantic import BaseModel, Field

from falwidgets.schema import (
    FieldSpec,
    UnknownEndpoint,
    humanize,
    label_for,
    load_endpoint,
    spec_from_model,
)


@pytest.mark.parametrize(
    ("name", "title", "label"),
    [
        ("keyframe_image_urls", "Keyframe Image Urls", "Keyframe image URLs"),
        ("image_urls", "Image Urls", "Image URLs"),
        ("model_glb", "Model Glb", "Model GLB"),
        ("model_urls", "Model Urls", "Model URLs"),
        ("num_images", "Num Images", "Number of images"),
        # too long to expand beside the control: the prefix is dropped instead
        ("num_inference_steps", "Num Inference Steps", "Inference steps"),
        ("cfg_scale", "Cfg Scale", "CFG scale"),
        ("lora_scale", "", "LoRA scale"),
        ("fps", "Fps", "FPS"),
        ("request_id", "", "Request ID"),
        ("output_3d", "Output 3d", "Output 3D"),
        ("prompt", "Prompt", "Prompt"),
        ("num", "Num", "Num"),  # "num" alone is a word, not a prefix
        # a title someone wrote is kept exactly
        ("loras", "LoRA weights", "LoRA weights"),
        ("image_size", "Size of the output", "Size of the output"),
        ("seed", "SEED value", "SEED value"),
    ],
)
def test_machine_titles_are_rebuilt_and_real_titles_kept(name: str, title: str, label: str) -> None:
    assert label_for(name, title) == label
    assert FieldSpec(name=name, kind="string", title=title).label == label


def test_humanize_handles_camel_case_and_separators() -> None:
    assert humanize("imageUrl") == "Image URL"
    assert humanize("json-schema") == "JSON schema"
    assert humanize("hd_video_fps") == "HD video FPS"


def test_labels_of_a_real_endpoint_and_a_pydantic_model() -> None:
    labels = {p.name: p.label for p in load_endpoint("fal-ai/toon-crafter").input.properties}
    assert labels["keyframe_image_urls"] == "Keyframe image URLs"
    assert labels["cfg_scale"] == "CFG scale"

    class In(BaseModel):
        image_urls: list[str]
        num_frames: int = Field(8, title="Frames in the clip")

    spec = spec_from_model(In)
    assert [p.label for p in spec.properties] == ["Image URLs", "Frames in the clip"]


def test_unknown_endpoint_names_the_closest_catalog_ids() -> None:
    with pytest.raises(UnknownEndpoint) as caught:
        load_endpoint("fal-ai/flux-realsim")
    err = caught.value
    assert isinstance(err, LookupError) and isinstance(err, ValueError)
    assert err.suggestions[0] == "fal-ai/flux-realism"
    text = str(err)
    assert not text.startswith(("'", '"'))  # not KeyError's quoted repr
    assert text.startswith("unknown endpoint 'fal-ai/flux-realsim'")
    assert "Did you mean: fal-ai/flux-realism" in text


def test_unknown_endpoint_with_nothing_close_says_so_plainly() -> None:
    with pytest.raises(UnknownEndpoint) as caught:
        load_endpoint("zzzz/qqqqqqqq")
    assert caught.value.suggestions == []
    assert "Did you mean" not in str(caught.value)
    assert "catalog()" in str(caught.value)
