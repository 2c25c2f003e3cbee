"""Every demo endpoint makes real media that matches its real output schema."""

from __future__ import annotations

import io
import json
import shutil
import subprocess
import wave
from pathlib import Path
from typing import Any

import av
import httpx
import pytest
from PIL import Image
from server_util import wait_completed

from falwidgets.schema import load_endpoint
from falwidgets.server import endpoints
from falwidgets.server.demos import document
from falwidgets.server.demos.video import GAME_FRAMES_PER_ACTION, toon_frame_count

ROOT = Path(__file__).resolve().parents[2]
VALIDATOR = ROOT / "js" / "node_modules" / "gltf-validator"


def run_demo(server: Any, endpoint_id: str, arguments: dict[str, Any]) -> dict[str, Any]:
    with server.client() as http:
        body = http.post(f"/{endpoint_id}", json=arguments).json()
        status = wait_completed(http, body["status_url"], deadline=60)
        assert "error" not in status, status
        return http.get(body["response_url"]).json()


def fetch(url: str) -> bytes:
    response = httpx.get(url, timeout=30)
    response.raise_for_status()
    return response.content


@pytest.fixture(scope="module")
def outputs(local_server: Any, inputs: dict[str, dict[str, Any]]) -> dict[str, dict[str, Any]]:
    """All demos submitted at once (the server runs them in parallel), then collected."""
    with local_server.client() as http:
        submitted = {eid: http.post(f"/{eid}", json=args).json() for eid, args in inputs.items()}
        results = {}
        for eid, body in submitted.items():
            status = wait_completed(http, body["status_url"], deadline=60)
            assert "error" not in status, status
            results[eid] = http.get(body["response_url"]).json()
        return results


def test_every_demo_is_registered_with_its_real_schema(inputs: dict[str, Any]) -> None:
    registered = endpoints()
    for endpoint_id in inputs:
        assert registered[endpoint_id].document == document(endpoint_id)


def test_outputs_validate_against_real_output_schemas(outputs: dict[str, Any]) -> None:
    for endpoint_id, output in outputs.items():
        model = load_endpoint(document(endpoint_id)).output_model()
        model.model_validate(output)  # raises on any mismatch


def test_images_have_requested_size_and_format(outputs: dict[str, Any], local_server: Any) -> None:
    (flux,) = outputs["fal-ai/flux-realism"]["images"]
    picture = Image.open(io.BytesIO(fetch(flux["url"])))
    assert picture.size == (512, 512) and picture.format == "JPEG"
    assert flux["url"].startswith(local_server.url + "/files/")
    (imagen,) = outputs["fal-ai/imagen4/preview"]["images"]
    picture = Image.open(io.BytesIO(fetch(imagen["url"])))
    assert picture.format == "PNG"
    assert abs(picture.width / picture.height - 16 / 9) < 0.03
    more = run_demo(
        local_server,
        "fal-ai/flux-realism",
        {
            "prompt": "two",
            "num_images": 2,
            "output_format": "png",
            "image_size": {"width": 320, "height": 200},
            "num_inference_steps": 1,
        },
    )
    sizes = {Image.open(io.BytesIO(fetch(i["url"]))).size for i in more["images"]}
    assert sizes == {(320, 200)} and len(more["images"]) == 2


def test_same_seed_same_image_and_url(local_server: Any) -> None:
    args = {"prompt": "determinism", "seed": 99, "image_size": "square", "num_inference_steps": 1}
    first = run_demo(local_server, "fal-ai/flux-realism", args)
    second = run_demo(local_server, "fal-ai/flux-realism", args)
    assert first["images"][0]["url"] == second["images"][0]["url"]
    other = run_demo(local_server, "fal-ai/flux-realism", {**args, "seed": 100})
    assert fetch(other["images"][0]["url"]) != fetch(first["images"][0]["url"])


def count_frames(data: bytes) -> tuple[int, str]:
    with av.open(io.BytesIO(data)) as container:
        codec = container.streams.video[0].codec_context.name
        return sum(1 for _ in container.decode(video=0)), codec


def test_videos_are_real_with_expected_frame_counts(outputs: dict[str, Any]) -> None:
    toon = outputs["fal-ai/toon-crafter"]
    frames, codec = count_frames(fetch(toon["video"]["url"]))
    assert frames == toon_frame_count(2) and codec == "vp8"
    assert toon["video"]["content_type"] == "video/webm"
    game = outputs["anthonywu/gamecraft"]
    frames, _ = count_frames(fetch(game["video"]["url"]))
    assert frames == 2 * GAME_FRAMES_PER_ACTION  # two actions: ["w", "d"]


def test_bad_camera_actions_are_field_errors(local_server: Any, key_image: str) -> None:
    with local_server.client() as http:
        body = http.post(
            "/anthonywu/gamecraft",
            json={"image": {"url": key_image}, "prompt": "p", "action_list": '["jump"]'},
        ).json()
        status = wait_completed(http, body["status_url"])
        assert status["error_type"] == "validation_error"
        result = http.get(body["response_url"])
        assert result.status_code == 422
        assert result.json()["detail"][0]["loc"] == ["body", "action_list"]


def test_missing_local_input_file_is_a_download_error(local_server: Any) -> None:
    with local_server.client() as http:
        body = http.post(
            "/fal-ai/moondream3-preview/detect",
            json={"image_url": f"{local_server.url}/files/{'a' * 32}/gone.png", "prompt": "x"},
        ).json()
        wait_completed(http, body["status_url"])
        detail = http.get(body["response_url"]).json()["detail"]
        assert detail[0]["type"] == "file_download_error"
        assert detail[0]["loc"] == ["body", "image_url"]


def test_audio_has_the_requested_length(outputs: dict[str, Any], local_server: Any) -> None:
    audio = outputs["fal-ai/minimax-music/v1.5"]["audio"]
    assert audio["content_type"] == "audio/mpeg"
    with av.open(io.BytesIO(fetch(audio["url"]))) as container:
        assert container.streams.audio[0].sample_rate == 44100
        assert abs(float(container.duration) / 1e6 - 5.0) < 0.15  # 2 lines -> minimum 5 s
    wav = run_demo(
        local_server,
        "fal-ai/minimax-music/v1.5",
        {
            "prompt": "a longer calm song",
            "lyrics_prompt": "\n".join(f"line {i}" for i in range(4)),
            "audio_setting": {"format": "pcm", "sample_rate": 16000},
        },
    )
    with wave.open(io.BytesIO(fetch(wav["audio"]["url"]))) as parsed:
        assert parsed.getframerate() == 16000
        assert parsed.getnframes() / parsed.getframerate() == pytest.approx(10.0)


def test_glb_passes_khronos_validator(
    outputs: dict[str, Any], tmp_path: Path, js_modules: Path
) -> None:
    mesh = outputs["fal-ai/meshy/v5/multi-image-to-3d"]
    assert mesh["model_urls"]["glb"]["url"] == mesh["model_glb"]["url"]
    thumb = Image.open(io.BytesIO(fetch(mesh["thumbnail"]["url"])))
    assert thumb.format == "PNG"
    glb = tmp_path / "model.glb"
    glb.write_bytes(fetch(mesh["model_glb"]["url"]))
    assert glb.read_bytes()[:4] == b"glTF"
    node = shutil.which("node")
    assert node is not None and VALIDATOR.is_dir(), "the js_modules fixture installs them"
    script = (
        "const v=require(process.argv[1]);const fs=require('fs');"
        "v.validateBytes(new Uint8Array(fs.readFileSync(process.argv[2])))"
        ".then(r=>console.log(JSON.stringify(r.issues)))"
        ".catch(e=>{console.error(e);process.exit(1)});"
    )
    done = subprocess.run(
        [node, "-e", script, str(VALIDATOR), str(glb)],
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    issues = json.loads(done.stdout)
    assert issues["numErrors"] == 0 and issues["numWarnings"] == 0, issues


def test_boxes_are_normalised_and_drawn(outputs: dict[str, Any], key_image: str) -> None:
    detect = outputs["fal-ai/moondream3-preview/detect"]
    assert detect["objects"]
    for box in detect["objects"]:
        assert 0 <= box["x_min"] < box["x_max"] <= 1 and 0 <= box["y_min"] < box["y_max"] <= 1
    annotated = Image.open(io.BytesIO(fetch(detect["image"]["url"]))).convert("RGB")
    original = Image.open(io.BytesIO(fetch(key_image))).convert("RGB")
    assert annotated.size == original.size and annotated.tobytes() != original.tobytes()


def test_stream_endpoint_queue_result_is_final_image(outputs: dict[str, Any]) -> None:
    final = outputs["fal-ai/flux-krea-lora/stream"]
    assert final["images"][0]["width"] == 512 and "partial" not in final
