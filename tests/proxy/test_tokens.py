"""Tokens files, fresh tokens, and the ``falwidgets proxy`` command line."""

from __future__ import annotations

from pathlib import Path

import pytest

from falwidgets.cli import main
from falwidgets.proxy import TokenFileError, load_tokens, new_tokens, parse_tokens
from falwidgets.proxy._cli import parse_size
from falwidgets.proxy._limits import parse_rate


def test_tokens_file_with_comments_and_labels(tmp_path: Path) -> None:
    path = tmp_path / "tokens.txt"
    path.write_text("# workshop, 3 seats\n\nfwt_aaaaaaaaaaaa  # alice\nfwt_bbbbbbbbbbbb\n")
    tokens = load_tokens(path)
    assert list(tokens) == ["fwt_aaaaaaaaaaaa", "fwt_bbbbbbbbbbbb"]
    assert tokens["fwt_aaaaaaaaaaaa"] == "alice"
    assert tokens["fwt_bbbbbbbbbbbb"].startswith("tok-")  # a fingerprint, never the token
    assert "bbbb" not in tokens["fwt_bbbbbbbbbbbb"]


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", "no tokens"),
        ("# only a comment\n", "no tokens"),
        ("short\n", ":1: not a valid token"),
        ("fwt_aaaaaaaaaaaa\nfwt_aaaaaaaaaaaa\n", ":2: duplicate token"),
        ("fwt_aaaa aaaaaaaa\n", ":1: not a valid token"),
    ],
)
def test_bad_tokens_files_name_the_line(text: str, message: str) -> None:
    with pytest.raises(TokenFileError, match=message):
        parse_tokens(text, source="t.txt")


def test_missing_tokens_file_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(TokenFileError, match="cannot read tokens file"):
        load_tokens(tmp_path / "nope.txt")


def test_new_tokens_are_unique_and_parse_back() -> None:
    tokens = new_tokens(30)
    assert len(set(tokens)) == 30
    assert list(parse_tokens("\n".join(tokens))) == tokens
    with pytest.raises(ValueError):
        new_tokens(0)


def test_cli_tokens_new_prints_a_tokens_file(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["proxy", "--tokens-new", "30"]) == 0
    lines = capsys.readouterr().out.split()
    assert len(lines) == 30 and len(set(lines)) == 30
    assert list(parse_tokens("\n".join(lines))) == lines


def test_cli_refuses_to_start_without_tokens_or_key(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["proxy"]) == 2
    assert "--tokens FILE is required" in capsys.readouterr().err
    path = tmp_path / "t.txt"
    path.write_text("fwt_aaaaaaaaaaaa\n")
    assert main(["proxy", "--tokens", str(path)]) == 2  # no FAL_KEY and no --upstream
    assert "set FAL_KEY" in capsys.readouterr().err


def test_rate_and_size_parsing() -> None:
    assert parse_rate("30/min") == 30
    assert parse_rate("30") == 30
    assert parse_rate("1/s") == 60
    assert parse_rate("120/h") == 2
    for bad in ("", "x/min", "0/min", "5/day"):
        with pytest.raises(ValueError):
            parse_rate(bad)
    assert parse_size("16MB") == 16 * 1024 * 1024
    assert parse_size("512k") == 512 * 1024
    assert parse_size("100") == 100
