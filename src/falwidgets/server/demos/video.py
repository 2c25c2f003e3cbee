"""Video demos: fal-ai/toon-crafter (keyframes), anthonywu/gamecraft (camera actions)."""

from __future__ import annotations

import json
from typing import Any

from falwidgets.server._context import FieldError, JobContext, seed_from
from falwidgets.server._limits import DEMO_MAX_STEPS, limit
from falwidgets.server._registry import EndpointDef, register
from falwidgets.server.demos import _images, _video, as_dict, document, models

TOON_SIZE = (512, 320)
TOON_FRAMES_PER_SEGMENT = 16  # ToonCrafter makes 16 frames between two keyframes
GAME_SIZE = (640, 360)
GAME_FRAMES_PER_ACTION = 8
GAME_FPS = 16
MAX_ACTIONS = 64  # demo limit: each action renders GAME_FRAMES_PER_ACTION frames
ACTIONS = {
    "w": (0.0, 0.0, 0.06),
    "s": (0.0, 0.0, -0.06),
    "a": (-0.12, 0.0, 0.0),
    "d": (0.12, 0.0, 0.0),
}


def toon_frame_count(keyframes: int) -> int:
    """Frames in a toon-crafter video: 16 per pair of consecutive keyframes."""
    return TOON_FRAMES_PER_SEGMENT * max(1, keyframes - 1)


def toon_crafter(inp: Any, ctx: JobContext) -> dict[str, Any]:
    """Interpolate between keyframes (crossfade with a slow zoom) into a WebM video."""
    args = as_dict(inp)
    urls = list(args.get("keyframe_image_urls") or [])
    if not urls:
        raise FieldError("keyframe_image_urls", "At least one keyframe is required", "too_short")
    seed = int(args["seed"]) if args.get("seed") is not None else seed_from(*urls)
    keys = []
    for index, url in enumerate(urls):
        data = ctx.fetch(url, ("keyframe_image_urls", index))
        keys.append(_images.open_image(data, seed_from(url), TOON_SIZE).resize(TOON_SIZE))
    if len(keys) == 1:
        keys.append(keys[0])
    for _ in ctx.steps(args.get("steps") or 50):
        pass
    ctx.log("encoding video")

    def frames() -> Any:
        segments = len(keys) - 1
        for seg in range(segments):
            for i in range(TOON_FRAMES_PER_SEGMENT):
                ctx.check()
                t = i / (TOON_FRAMES_PER_SEGMENT - 1)
                yield _video.crossfade(keys[seg], keys[seg + 1], t, zoom=0.08 * t)

    with ctx.heavy():
        data, count = _video.encode(frames(), int(args.get("fps") or 8), TOON_SIZE)
    ctx.log(f"encoded {count} frames")
    video = ctx.save(data, f"toon-{seed}.{_video.EXTENSION}", _video.MIME)
    return {"video": video, "seed": seed}


def _not_json(constant: str) -> Any:
    """`json.loads` accepts NaN and Infinity, which JSON does not."""
    raise ValueError(f"{constant} is not JSON")


def _json_list(raw: Any, field: str) -> list[Any]:
    if isinstance(raw, list):
        return raw
    try:
        value = json.loads(raw, parse_constant=_not_json)
    except (TypeError, ValueError):
        raise FieldError(field, f'{field} must be a JSON list, e.g. ["w", "d"]') from None
    if not isinstance(value, list):
        raise FieldError(field, f"{field} must be a JSON list")
    return value


def gamecraft(inp: Any, ctx: JobContext) -> dict[str, Any]:
    """Move a virtual camera over the input image following WASD actions."""
    args = as_dict(inp)
    actions = _json_list(args.get("action_list") or '["w", "s", "d", "a"]', "action_list")
    speeds = _json_list(args.get("action_speed_list") or "[]", "action_speed_list")
    bad = [a for a in actions if not isinstance(a, str) or a not in ACTIONS]
    if bad or not actions:
        raise FieldError("action_list", f"actions must be some of w, a, s, d; got {bad or actions}")
    if len(actions) > MAX_ACTIONS:
        raise FieldError(
            "action_list", f"at most {MAX_ACTIONS} actions (local demo server limit)", "too_long"
        )
    if speeds and len(speeds) != len(actions):
        raise FieldError("action_speed_list", "needs one speed per action")
    try:
        speeds = [float(s) for s in speeds] or [0.2] * len(actions)
    except (TypeError, ValueError):
        raise FieldError("action_speed_list", "speeds must be numbers") from None
    image_field = args.get("image") or {}
    url = image_field.get("url", "") if isinstance(image_field, dict) else str(image_field)
    seed = args.get("seed")
    seed = int(seed) if seed is not None else 42
    base = _images.open_image(ctx.fetch(url, ("image", "url")), seed_from(url, seed), GAME_SIZE)
    base = base.resize(GAME_SIZE)
    for _ in ctx.steps(args.get("infer_steps") or 5):
        pass
    ctx.log(f"rendering {len(actions)} actions: {' '.join(actions)}")

    def frames() -> Any:
        x = y = 0.0
        zoom = 1.15
        for action, speed in zip(actions, speeds, strict=True):
            dx, dy, dz = ACTIONS[action]
            scale = max(0.0, min(1.0, speed)) / 0.2
            for _ in range(GAME_FRAMES_PER_ACTION):
                ctx.check()
                x = max(-1.0, min(1.0, x + dx * scale))
                y = max(-1.0, min(1.0, y + dy * scale))
                zoom = max(1.0, min(2.0, zoom + dz * scale))
                yield _video.camera(base, x, y, zoom)

    with ctx.heavy():
        data, count = _video.encode(frames(), GAME_FPS, GAME_SIZE)
    ctx.log(f"encoded {count} frames")
    return {"video": ctx.save(data, f"gamecraft-{seed}.{_video.EXTENSION}", _video.MIME)}


for _id, _func in (("fal-ai/toon-crafter", toon_crafter), ("anthonywu/gamecraft", gamecraft)):
    _in, _out = models(_id)
    register(
        EndpointDef(
            _id,
            _func,
            input=_in,
            output=_out,
            document=document(_id),
            description=(_func.__doc__ or "").split("\n", 1)[0],
        )
    )

# the real schemas bound none of these; the demo keeps each job to seconds of work
limit("fal-ai/toon-crafter", "steps", ge=1, le=DEMO_MAX_STEPS)
limit("fal-ai/toon-crafter", "keyframe_image_urls", max_items=16)
limit("fal-ai/toon-crafter", "fps", ge=1, le=60)
limit("anthonywu/gamecraft", "infer_steps", ge=1, le=DEMO_MAX_STEPS)
