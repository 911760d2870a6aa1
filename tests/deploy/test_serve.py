"""bin/serve starts the stack exactly as README.md's "Production" section says."""

from __future__ import annotations

import re

from tests.deploy.conftest import ROOT


def _readme_commands() -> list[str]:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    section = readme.split("### Production", 1)[1]
    block = re.search(r"```sh\n(.*?)```", section, re.S).group(1)
    return [line.split("  #", 1)[0].strip() for line in block.splitlines() if line.strip()]


def test_bin_serve_runs_the_readme_production_commands_in_the_same_order():
    """Every README command is in bin/serve, in order, with the README's defaults."""
    serve = (ROOT / "bin" / "serve").read_text(encoding="utf-8")
    commands = [c for c in _readme_commands() if not c.startswith("export")]
    assert commands[0] == "flask --app app db upgrade"
    positions = [serve.index(command) for command in commands]  # ValueError: not in bin/serve
    assert positions == sorted(positions)
    defaults = dict(
        c.removeprefix("export ").split("=", 1)
        for c in _readme_commands()
        if c.startswith("export")
    )
    for name in ("DATABASE_URL", "REDIS_URL"):
        assert f"{name}=${{{name}:-{defaults[name]}}}" in serve
