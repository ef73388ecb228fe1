"""A plain `pip install .` carries the definitions, migrations and templates it needs."""

import subprocess
import sys
import zipfile

from tests.conftest import ROOT


def test_the_wheel_ships_definitions_migrations_and_templates(tmp_path):
    subprocess.run([sys.executable, "-m", "pip", "wheel", "--quiet", "--no-deps",
                    "--no-build-isolation", "--wheel-dir", str(tmp_path), str(ROOT)],
                   check=True, capture_output=True)
    wheel = next(tmp_path.glob("coproduction_pathway-*.whl"))
    names = set(zipfile.ZipFile(wheel).namelist())
    assert "workflows/definitions/pathway-service-user.yaml" in names
    assert "workflows/definitions/programme.yaml" in names
    assert "pathway/store/migrations/env.py" in names
    assert "pathway/store/migrations/script.py.mako" in names
    assert any(n.startswith("pathway/store/migrations/versions/0001_") for n in names)
    assert "api/templates/home.html" in names
    # The pages: their templates, the vendored NHS.UK frontend and its licence, and the
    # common-passwords list the password policy reads.
    assert "api/templates/pages/base.html" in names
    assert "api/static/nhsuk/nhsuk-frontend.min.css" in names
    assert "api/static/nhsuk/nhsuk-frontend.min.js" in names
    assert "api/static/nhsuk/LICENSE" in names
    assert "api/static/nhsuk/assets/images/favicon.svg" in names
    assert "api/static/pathway.js" in names
    assert "pathway/people/data/common_passwords.txt" in names
    entry_points = next(n for n in names if n.endswith("entry_points.txt"))
    assert "pathway = pathway.cli:main" in zipfile.ZipFile(wheel).read(entry_points).decode()
