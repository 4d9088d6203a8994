"""scripts/sbom.sh as a security reviewer runs it: a CycloneDX bill of materials of the installed environment, with
callintel as the main component and each installed package at the version that is installed."""

import json
import os
import subprocess
from importlib.metadata import version
from pathlib import Path
from urllib.parse import unquote

ROOT = Path(__file__).resolve().parents[2]


def test_the_bill_of_materials_lists_the_installed_packages_at_their_versions(tmp_path: Path) -> None:
    output = tmp_path / "sbom.cdx.json"
    # The schema check takes about a minute; the structure is checked here instead.
    env = {**os.environ, "SBOM_NO_VALIDATE": "1"}
    done = subprocess.run(
        [ROOT / "scripts" / "sbom.sh", ROOT / ".venv", output], env=env, capture_output=True, text=True, timeout=300
    )
    assert done.returncode == 0, done.stderr
    bom = json.loads(output.read_text())
    assert bom["bomFormat"] == "CycloneDX" and bom["specVersion"] == "1.6"
    assert bom["metadata"]["component"]["name"] == "callintel"
    components = {component["name"].lower(): component for component in bom["components"]}
    for package in ("cryptography", "fastapi", "minio", "sqlalchemy", "faster-whisper", "torch"):
        assert components[package]["version"] == version(package), package
        assert unquote(components[package]["purl"]) == f"pkg:pypi/{package}@{version(package)}"
    assert any(
        entry.get("expression") == "Apache-2.0 OR BSD-3-Clause" for entry in components["cryptography"]["licenses"]
    )
