"""Shared test helpers: run the real CLI in a subprocess, find fixtures and the shared corpus."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = ROOT / "fixtures"
SHARED = ROOT.parent / "shared"
CORPUS = SHARED / "corpus"


class Result:
    def __init__(self, proc: subprocess.CompletedProcess) -> None:
        self.code = proc.returncode
        self.out = proc.stdout
        self.err = proc.stderr

    @property
    def json(self) -> dict:
        return json.loads(self.out)

    def findings(self) -> list[tuple[str, str, int]]:
        return sorted((f["rule"], f["location"]["file"], f["location"]["line"]) for f in self.json["findings"])


def k8slint(*args: str, cwd: Path | str | None = None, stdin: str | bytes | None = None, env: dict | None = None,
            timeout: float = 120) -> Result:
    full_env = dict(os.environ)
    full_env.pop("GITHUB_ACTIONS", None)
    full_env.update(env or {})
    data = stdin.encode() if isinstance(stdin, str) else stdin
    proc = subprocess.run(
        [sys.executable, "-m", "k8slint", *args],
        cwd=str(cwd or ROOT), input=data if data is not None else b"", capture_output=True, timeout=timeout, env=full_env,
    )
    return Result(subprocess.CompletedProcess(proc.args, proc.returncode, proc.stdout.decode("utf-8", "replace"),
                                              proc.stderr.decode("utf-8", "replace")))


@pytest.fixture
def run():
    return k8slint


def needs_corpus():
    return pytest.mark.skipif(not CORPUS.is_dir(), reason="../shared/corpus not present")
