"""`falwidgets run` on first use: saved media, Ctrl-C and timeouts (cancel, or how to resume)."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from PIL import Image

from falwidgets.cli import main
from falwidgets.client import Cancelled, Client, Handle

FLUX = "fal-ai/flux-realism"
SLOW = json.dumps({"prompt": "a slow lighthouse", "num_inference_steps": 50})


def _run(capsys: Any, *args: str) -> tuple[int, str, str]:
    code = main(["run", *args])
    out, err = capsys.readouterr()
    return code, out, err


def test_help_is_plain_text(capsys: Any) -> None:
    with pytest.raises(SystemExit):
        main(["run", "--help"])
    text = capsys.readouterr().out
    assert "``" not in text and "falwidgets-out" in text
    assert "--resume REQUEST_ID" in text and "--cancel REQUEST_ID" in text and "--out" in text


def test_out_saves_media_and_keeps_the_json_faithful(
    local_server: Any, tmp_path: Path, capsys: Any
) -> None:
    out_dir = tmp_path / "media"
    code, out, err = _run(
        capsys, FLUX, "-i", '{"prompt": "a kite", "num_images": 2}', "--base-url",
        local_server.url, "--out", str(out_dir),
    )  # fmt: skip
    assert code == 0, err
    result = json.loads(out)
    assert all(i["url"].startswith(local_server.url) for i in result["images"])  # not rewritten
    saved = [Path(line[len("saved ") :]) for line in err.splitlines() if line.startswith("saved ")]
    assert len(saved) == len(result["images"]) == 2 and len(set(saved)) == 2
    for path in saved:
        assert path.parent == out_dir
        with Image.open(path) as image:
            assert image.width == result["images"][0]["width"]


def test_timeout_on_a_real_server_prints_shell_commands_that_work(
    local_server: Any, capsys: Any
) -> None:
    url = local_server.url
    code, out, err = _run(capsys, FLUX, "-i", SLOW, "--base-url", url, "--timeout", "0.05")
    assert code == 1 and out == "" and "DeadlineExceeded" in err
    found = re.search(rf"falwidgets run {FLUX} --resume (\S+) --base-url (\S+)", err)
    assert found and found.group(2) == url, err
    rid = found.group(1)
    assert f"falwidgets run {FLUX} --cancel {rid} --base-url {url}" in err
    assert "client.resume" not in err.split("may still be running")[-1]  # no Python for a shell
    code, out, err = _run(capsys, FLUX, "--resume", rid, "--base-url", url)
    assert code == 0, err
    assert json.loads(out)["prompt"] == "a slow lighthouse" and f"request {rid}" in err
    code, out, err = _run(capsys, FLUX, "--cancel", rid, "--base-url", url)
    assert code == 0 and "ALREADY_COMPLETED" in err


def test_ctrl_c_cancels_the_request(
    local_server: Any, capsys: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    import falwidgets._run_cli as cli

    def interrupted(*_: Any) -> Any:
        raise KeyboardInterrupt

    monkeypatch.setattr(cli, "_follow", interrupted)
    code, out, err = _run(capsys, FLUX, "-i", SLOW, "--base-url", local_server.url)
    assert code == 130 and out == ""
    found = re.search(r"interrupted; cancelled it \(request (\S+)\)", err)
    assert found, err
    with Client(base_url=local_server.url) as client, pytest.raises(Cancelled):
        Handle.from_request_id(client, FLUX, found.group(1)).result(timeout=30)


def test_a_whitespace_key_is_no_key_so_the_embedded_server_runs(
    capsys: Any, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("FAL_KEY", "   ")
    monkeypatch.chdir(tmp_path)
    code, out, err = _run(capsys, FLUX, "-i", '{"prompt": "x", "num_inference_steps": 2}')
    assert code == 0, err
    assert "using the embedded local server" in err and json.loads(out)["images"]


def test_resume_needs_a_server(capsys: Any) -> None:
    code, _, err = _run(capsys, FLUX, "--resume", "abc")
    assert code == 1 and "--base-url" in err


def _cli(cwd: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("FAL_KEY")}
    return subprocess.run(
        [sys.executable, "-m", "falwidgets", "run", *args],
        capture_output=True, text=True, timeout=120, env=env, cwd=cwd,
    )  # fmt: skip


def test_embedded_server_saves_media_by_default_and_cancels_on_timeout(tmp_path: Path) -> None:
    """The README's first command leaves files to open; a timeout there cancels (server ends)."""
    done = _cli(tmp_path, FLUX, "--input", '{"prompt": "a lighthouse at dusk"}')
    assert done.returncode == 0, done.stderr
    result = json.loads(done.stdout)
    (line,) = [x for x in done.stderr.splitlines() if x.startswith("saved ")]
    saved = tmp_path / line[len("saved ") :]
    rid = re.search(r"request (\S+)", done.stderr).group(1)  # type: ignore[union-attr]
    assert saved.parent == tmp_path / "falwidgets-out" / rid and saved.stat().st_size > 1000
    assert result["images"][0]["url"].endswith(saved.name)
    late = _cli(tmp_path, FLUX, "--input", SLOW, "--timeout", "0.05")
    assert late.returncode == 1 and late.stdout == ""
    assert "the embedded server stops with this command; cancelled it (request" in late.stderr
    assert "--resume" not in late.stderr
