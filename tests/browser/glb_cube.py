"""A tiny valid GLB (a cube with one colour per face) written with struct + json only.

Distinct face colours let pixel checks tell a drawn model from a blank canvas; the file passes the
Khronos glTF validator (see shared/browser-testing.md §12).
"""

from __future__ import annotations

import json
import struct

# (normal, colour RGBA) per face: +X red, -X cyan, +Y green, -Y magenta, +Z blue, -Z yellow
_FACES: list[tuple[tuple[int, int, int], tuple[float, float, float, float]]] = [
    ((1, 0, 0), (0.9, 0.1, 0.1, 1.0)),
    ((-1, 0, 0), (0.1, 0.8, 0.8, 1.0)),
    ((0, 1, 0), (0.1, 0.8, 0.1, 1.0)),
    ((0, -1, 0), (0.8, 0.1, 0.8, 1.0)),
    ((0, 0, 1), (0.1, 0.2, 0.9, 1.0)),
    ((0, 0, -1), (0.9, 0.8, 0.1, 1.0)),
]


def _face_corners(normal: tuple[int, int, int]) -> list[tuple[float, float, float]]:
    """Corners of the cube face with this outward normal, counter-clockwise from outside."""
    axis = next(i for i, v in enumerate(normal) if v)
    sign = normal[axis]
    u, v = [(axis + 1) % 3, (axis + 2) % 3]
    corners = []
    for a, b in [(-1, -1), (1, -1), (1, 1), (-1, 1)]:
        point = [0.0, 0.0, 0.0]
        point[axis] = 0.5 * sign
        point[u] = 0.5 * a
        point[v] = 0.5 * b * sign
        corners.append((point[0], point[1], point[2]))
    return corners


def _pad(data: bytes, fill: bytes) -> bytes:
    return data + fill * (-len(data) % 4)


def cube_glb() -> bytes:
    """Return the GLB bytes of a unit cube: 24 vertices, 36 indices, vertex colours."""
    positions, normals, colours, indices = [], [], [], []
    for face, (normal, colour) in enumerate(_FACES):
        for corner in _face_corners(normal):
            positions.extend(corner)
            normals.extend(float(n) for n in normal)
            colours.extend(colour)
        base = face * 4
        indices.extend([base, base + 1, base + 2, base, base + 2, base + 3])
    pos = struct.pack(f"<{len(positions)}f", *positions)
    nrm = struct.pack(f"<{len(normals)}f", *normals)
    col = struct.pack(f"<{len(colours)}f", *colours)
    idx = _pad(struct.pack(f"<{len(indices)}H", *indices), b"\0")
    binary = pos + nrm + col + idx
    views = []
    offset = 0
    for chunk, target in [(pos, 34962), (nrm, 34962), (col, 34962), (idx, 34963)]:
        views.append(
            {"buffer": 0, "byteOffset": offset, "byteLength": len(chunk), "target": target}
        )
        offset += len(chunk)
    views[3]["byteLength"] = len(indices) * 2
    gltf = {
        "asset": {"version": "2.0", "generator": "falwidgets tests"},
        "scene": 0,
        "scenes": [{"nodes": [0]}],
        "nodes": [{"mesh": 0}],
        "meshes": [
            {
                "primitives": [
                    {
                        "attributes": {"POSITION": 0, "NORMAL": 1, "COLOR_0": 2},
                        "indices": 3,
                        "material": 0,
                        "mode": 4,
                    }
                ]
            }
        ],
        "materials": [
            {
                "pbrMetallicRoughness": {
                    "baseColorFactor": [1, 1, 1, 1],
                    "metallicFactor": 0.0,
                    "roughnessFactor": 0.7,
                }
            }
        ],
        "buffers": [{"byteLength": len(binary)}],
        "bufferViews": views,
        "accessors": [
            {
                "bufferView": 0,
                "componentType": 5126,
                "count": 24,
                "type": "VEC3",
                "min": [-0.5, -0.5, -0.5],
                "max": [0.5, 0.5, 0.5],
            },
            {"bufferView": 1, "componentType": 5126, "count": 24, "type": "VEC3"},
            {"bufferView": 2, "componentType": 5126, "count": 24, "type": "VEC4"},
            {"bufferView": 3, "componentType": 5123, "count": 36, "type": "SCALAR"},
        ],
    }
    json_chunk = _pad(json.dumps(gltf, separators=(",", ":")).encode(), b" ")
    total = 12 + 8 + len(json_chunk) + 8 + len(binary)
    return (
        struct.pack("<4sII", b"glTF", 2, total)
        + struct.pack("<I4s", len(json_chunk), b"JSON")
        + json_chunk
        + struct.pack("<I4s", len(binary), b"BIN\0")
        + binary
    )


def check_glb_structure(data: bytes) -> dict:
    """Parse the container and return its glTF JSON; AssertionError if the framing is wrong."""
    magic, version, total = struct.unpack_from("<4sII", data, 0)
    assert (magic, version, total) == (b"glTF", 2, len(data)), (magic, version, total)
    json_len, json_type = struct.unpack_from("<I4s", data, 12)
    assert json_type == b"JSON" and json_len % 4 == 0
    bin_len, bin_type = struct.unpack_from("<I4s", data, 20 + json_len)
    assert bin_type == b"BIN\0" and bin_len % 4 == 0
    assert 28 + json_len + bin_len == len(data)
    return json.loads(data[20 : 20 + json_len])
