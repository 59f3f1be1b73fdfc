from pathlib import Path

import npe2
import yaml

ROOT_MANIFEST = Path(__file__).parents[1] / "napari.yaml"


def test_installed_manifest_is_the_root_file():
    from importlib.metadata import distribution

    entry = next(
        e for e in distribution("napari-seg-eval").entry_points if e.group == "napari.manifest"
    )
    package, resource = entry.value.split(":")
    from importlib.resources import files

    installed = files(package) / resource
    assert installed.read_text() == ROOT_MANIFEST.read_text()
    manifest = npe2.PluginManifest.from_distribution("napari-seg-eval")
    assert manifest.name == yaml.safe_load(ROOT_MANIFEST.read_text())["name"]


def test_manifest_validates_and_imports():
    manifest = npe2.PluginManifest.from_file(ROOT_MANIFEST)
    manifest.validate_imports()  # every python_name resolves


def test_version_is_written_once():
    from importlib.metadata import version

    import napari_seg_eval

    assert napari_seg_eval.__version__ == version("napari-seg-eval") == "0.2.0"
