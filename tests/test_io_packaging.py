"""The bundled data reaches users of a plain (non-editable) install, and every
subpackage is listed in pyproject.toml (the data mapping needs an explicit list)."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import textwrap
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SOURCES = ("pyproject.toml", "README.md", "prism_cp", "models", "extime", "platforms")


def test_every_subpackage_is_packaged():
    listed = set(tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"]["packages"])
    found = {".".join(p.parent.relative_to(ROOT).parts) for p in (ROOT / "prism_cp").rglob("__init__.py")}
    assert found <= listed, f"add {sorted(found - listed)} to [tool.setuptools] packages"


def test_non_editable_install_finds_bundled_data(tmp_path):
    src = tmp_path / "src"
    src.mkdir()
    for name in SOURCES:  # build from a copy so the checkout gets no build/ or egg-info
        path = ROOT / name
        if path.is_dir():
            shutil.copytree(path, src / name, ignore=shutil.ignore_patterns("__pycache__"))
        elif path.exists():
            shutil.copy(path, src / name)
    target = tmp_path / "site"
    pip = subprocess.run(
        [sys.executable, "-m", "pip", "install", "--no-deps", "--quiet", "--disable-pip-version-check", "--target", str(target), str(src)],
        capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    assert pip.returncode == 0, pip.stderr[-2000:]
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    script = textwrap.dedent(
        f"""
        import json, sys
        sys.path.insert(0, {str(target)!r})
        import prism_cp
        from prism_cp.io import bundled_models, bundled_platforms, load_platform, load_workload
        w = load_workload("xception")
        p = load_platform("grai")
        print(json.dumps({{"file": prism_cp.__file__, "ops": w.n_ops, "edges": len(w.edges),
                          "cpu0": w.times["cpu"][0], "npu_ops": len(p.npu_ops),
                          "models": bundled_models(), "platforms": bundled_platforms()}}))
        """
    )
    out = subprocess.run([sys.executable, "-I", "-c", script], cwd=elsewhere, capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    got = json.loads(out.stdout)
    assert Path(got["file"]).is_relative_to(target)
    assert (got["ops"], got["edges"], got["npu_ops"]) == (134, 145, 15)
    assert "xception" in got["models"] and {"grai", "mubrain", "speck"} <= set(got["platforms"])
    assert got["cpu0"] == float((ROOT / "extime" / "xception.csv").read_text().splitlines()[1].split(",")[2])


def test_the_package_version_is_the_one_pyproject_declares() -> None:
    import prism_cp

    declared = tomllib.loads((Path(__file__).parent.parent / "pyproject.toml").read_text())["project"]["version"]
    assert prism_cp.__version__ == declared
