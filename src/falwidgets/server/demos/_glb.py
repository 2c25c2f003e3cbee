"""A GLB (binary glTF 2.0) writer with only `struct` and `json` (browser-testing.md section 12).

The mesh is a seeded, slightly deformed box with one colour per face, so a viewer's pixel checks can
tell a drawn model from a blank canvas. Output is clean under the Khronos glTF-Validator.
"""

from __future__ import annotations

import json
import random
import struct

_FACES = (  # normal, the two in-plane axes, colour
    ((1, 0, 0), (0, 1, 0), (0, 0, 1), (0.9, 0.2, 0.2, 1.0)),
    ((-1, 0, 0), (0, 0, 1), (0, 1, 0), (0.2, 0.8, 0.8, 1.0)),
    ((0, 1, 0), (0, 0, 1), (1, 0, 0), (0.2, 0.8, 0.2, 1.0)),
    ((0, -1, 0), (1, 0, 0), (0, 0, 1), (0.8, 0.2, 0.8, 1.0)),
    ((0, 0, 1), (1, 0, 0), (0, 1, 0), (0.2, 0.3, 0.9, 1.0)),
    ((0, 0, -1), (0, 1, 0), (1, 0, 0), (0.9, 0.8, 0.2, 1.0)),
)


def _pad(data: bytes, fill: bytes) -> bytes:
    return data + fill * ((4 - len(data) % 4) % 4)


def box_mesh(seed: int) -> tuple[list[float], list[float], list[float], list[int]]:
    """Positions, normals, colours (RGBA) and triangle indices of a seeded box (24 vertices)."""
    rng = random.Random(seed)
    half = [0.5 + rng.random() * 0.5 for _ in range(3)]
    positions: list[float] = []
    normals: list[float] = []
    colors: list[float] = []
    indices: list[int] = []
    for face, (normal, u, v, color) in enumerate(_FACES):
        for su, sv in ((-1, -1), (1, -1), (1, 1), (-1, 1)):
            for axis in range(3):
                positions.append((normal[axis] + su * u[axis] + sv * v[axis]) * half[axis])
            normals.extend(float(n) for n in normal)
            colors.extend(color)
        base = face * 4
        indices.extend((base, base + 1, base + 2, base, base + 2, base + 3))
    return positions, normals, colors, indices


def write_glb(seed: int, name: str = "model") -> bytes:
    positions, normals, colors, indices = box_mesh(seed)
    pos_bytes = struct.pack(f"<{len(positions)}f", *positions)
    nrm_bytes = struct.pack(f"<{len(normals)}f", *normals)
    col_bytes = struct.pack(f"<{len(colors)}f", *colors)
    idx_bytes = _pad(struct.pack(f"<{len(indices)}H", *indices), b"\x00")
    vertex = pos_bytes + nrm_bytes + col_bytes
    binary = vertex + idx_bytes
    count = len(positions) // 3
    xs, ys, zs = positions[0::3], positions[1::3], positions[2::3]
    gltf = {
        "asset": {"version": "2.0", "generator": "falwidgets demo server"},
        "scene": 0,
        "scenes": [{"nodes": [0]}],
        "nodes": [{"mesh": 0, "name": name}],
        "meshes": [
            {
                "name": name,
                "primitives": [
                    {
                        "attributes": {"POSITION": 0, "NORMAL": 1, "COLOR_0": 2},
                        "indices": 3,
                        "material": 0,
                        "mode": 4,
                    }
                ],
            }
        ],
        "materials": [
            {
                "name": "painted",
                "pbrMetallicRoughness": {
                    "baseColorFactor": [1, 1, 1, 1],
                    "metallicFactor": 0.0,
                    "roughnessFactor": 0.7,
                },
            }
        ],
        "buffers": [{"byteLength": len(binary)}],
        "bufferViews": [
            {"buffer": 0, "byteOffset": 0, "byteLength": len(pos_bytes), "target": 34962},
            {
                "buffer": 0,
                "byteOffset": len(pos_bytes),
                "byteLength": len(nrm_bytes),
                "target": 34962,
            },
            {
                "buffer": 0,
                "byteOffset": len(pos_bytes) + len(nrm_bytes),
                "byteLength": len(col_bytes),
                "target": 34962,
            },
            {
                "buffer": 0,
                "byteOffset": len(vertex),
                "byteLength": len(indices) * 2,
                "target": 34963,
            },
        ],
        "accessors": [
            {
                "bufferView": 0,
                "componentType": 5126,
                "count": count,
                "type": "VEC3",
                "min": [min(xs), min(ys), min(zs)],
                "max": [max(xs), max(ys), max(zs)],
            },
            {"bufferView": 1, "componentType": 5126, "count": count, "type": "VEC3"},
            {"bufferView": 2, "componentType": 5126, "count": count, "type": "VEC4"},
            {"bufferView": 3, "componentType": 5123, "count": len(indices), "type": "SCALAR"},
        ],
    }
    json_chunk = _pad(json.dumps(gltf, separators=(",", ":")).encode(), b" ")
    bin_chunk = _pad(binary, b"\x00")
    total = 12 + 8 + len(json_chunk) + 8 + len(bin_chunk)
    return (
        struct.pack("<4sII", b"glTF", 2, total)
        + struct.pack("<I4s", len(json_chunk), b"JSON")
        + json_chunk
        + struct.pack("<I4s", len(bin_chunk), b"BIN\x00")
        + bin_chunk
    )


def check_glb(data: bytes) -> dict[str, object]:
    """Structural self-check (magic, version, chunk lengths); returns the glTF JSON."""
    magic, version, total = struct.unpack_from("<4sII", data, 0)
    if magic != b"glTF" or version != 2 or total != len(data):
        raise ValueError("not a glTF 2.0 binary of the declared length")
    json_len, json_type = struct.unpack_from("<I4s", data, 12)
    if json_type != b"JSON":
        raise ValueError("first chunk is not JSON")
    bin_len, bin_type = struct.unpack_from("<I4s", data, 20 + json_len)
    if bin_type != b"BIN\x00" or 28 + json_len + bin_len != total:
        raise ValueError("BIN chunk missing or lengths do not add up")
    return json.loads(data[20 : 20 + json_len])
