"""Every database command works in a process of its own, as an operator runs it.

The command line imports per command (so `regie audit verify` starts fast); in-process tests
cannot see a command that forgot part of the model, because the test process has imported all
of it already. Here each command starts from a fresh interpreter.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


# Runs the command line, then says on stderr whether the web framework (FastAPI or the Starlette
# under it) got imported on the way.
_MET_KADER = """
import sys
from app.cli import main
try:
    main()
finally:
    kader = {"fastapi", "starlette"} & sys.modules.keys()
    print("kader geladen" if kader else "kader niet geladen", file=sys.stderr)
"""


def _regie(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(  # noqa: S603 - our own interpreter and command
        [sys.executable, "-c", _MET_KADER, *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )


@pytest.mark.parametrize(
    ("args", "exit_code", "expected"),
    [
        (("keys", "rotate"), 0, "versleuteld met sleutel"),
        (("audit", "verify"), 0, "Audittrail intact"),
        (("export", "--formaat", "jsonl", "--uit", "{tmp}/export.jsonl"), 0, "geschreven naar"),
        # Generated accounts are inactive: refused with a message, not a crash on the model.
        (("token", "gen.0001"), 1, "Onbekend of inactief account"),
    ],
)
def test_each_command_runs_in_a_fresh_process(
    db_url: str, tmp_path: Path, args: tuple[str, ...], exit_code: int, expected: str
) -> None:
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith("REGIE_")},
        "REGIE_ENV": "dev",
        "REGIE_DATA_DIR": str(tmp_path),
        "REGIE_DATABASE_URL": db_url,
    }
    assert _regie(env, "demo", "--genereer", "5").returncode == 0
    result = _regie(env, *(a.format(tmp=tmp_path) for a in args))
    output = result.stdout + result.stderr
    assert "Traceback" not in output, output
    assert (result.returncode, expected in output) == (exit_code, True), output
    # An operator's command starts without the web framework: its errors are plain domain
    # classes (app.errors), their HTTP answers live apart (app.problems). Importing FastAPI
    # cost the export a tenth of a second of its start-up.
    assert "kader niet geladen" in result.stderr, output
