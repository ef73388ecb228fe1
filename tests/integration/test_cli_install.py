"""`make run` shows its address and sign-in lines without installer noise before them: the
package metadata raises no deprecation, and the installs print errors only."""

from __future__ import annotations

import subprocess
import sys
import tomllib

from tests.conftest import ROOT


def test_the_licence_is_an_spdx_expression_that_the_build_backend_reads():
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    assert project["project"]["license"] == "MIT"
    assert "setuptools>=77" in project["build-system"]["requires"]


def test_building_the_package_gives_no_deprecation_warnings(tmp_path):
    built = subprocess.run([sys.executable, "-m", "pip", "wheel", "-v", "--no-deps",
                            "--no-build-isolation", "--wheel-dir", str(tmp_path), str(ROOT)],
                           capture_output=True, text=True, check=True, timeout=300)
    output = built.stdout + built.stderr
    assert "project.license" not in output
    assert "SetuptoolsDeprecationWarning" not in output


def test_make_installs_quietly():
    makefile = (ROOT / "Makefile").read_text(encoding="utf-8")
    installs = [line for line in makefile.splitlines() if "pip install" in line]
    assert installs
    assert all(" -qq " in line for line in installs), installs
