"""The build step that puts ECharts into the package without npm: the lock's tarball is
extracted only when it matches the lock's sha512, and only the files the page needs."""

from __future__ import annotations

import base64
import hashlib
import io
import tarfile
from pathlib import Path

import pytest

from services.dashboard.bundle import BundleError, extract, pinned


def tarball(files: dict[str, bytes]) -> bytes:
    """An npm-style tarball: every file under package/."""
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w:gz") as archive:
        for name, content in files.items():
            info = tarfile.TarInfo(f"package/{name}")
            info.size = len(content)
            archive.addfile(info, io.BytesIO(content))
    return buffer.getvalue()


def integrity(data: bytes) -> str:
    return "sha512-" + base64.b64encode(hashlib.sha512(data).digest()).decode()


def test_the_lock_pins_echarts_6_1_0_from_the_registry() -> None:
    lock = pinned()
    assert lock.version == "6.1.0"
    assert lock.resolved == "https://registry.npmjs.org/echarts/-/echarts-6.1.0.tgz"
    assert lock.integrity.startswith("sha512-")


def test_a_matching_tarball_gives_the_script_and_its_licence(tmp_path: Path) -> None:
    data = tarball(
        {
            "dist/echarts.min.js": b"/* echarts */",
            "LICENSE": b"Apache License",
            "dist/echarts.js": b"not wanted",
        }
    )
    extract(data, integrity(data), tmp_path)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["LICENSE", "echarts.min.js"]
    assert (tmp_path / "echarts.min.js").read_bytes() == b"/* echarts */"


def test_a_tarball_that_is_not_the_locked_one_is_refused(tmp_path: Path) -> None:
    locked = tarball({"dist/echarts.min.js": b"/* echarts */", "LICENSE": b"Apache"})
    other = tarball({"dist/echarts.min.js": b"alert('changed')", "LICENSE": b"Apache"})
    with pytest.raises(BundleError, match="integrity"):
        extract(other, integrity(locked), tmp_path)
    with pytest.raises(BundleError, match="sha512"):
        extract(locked, "sha1-" + integrity(locked)[7:], tmp_path)
    assert list(tmp_path.iterdir()) == []  # nothing written


def test_a_tarball_without_the_script_is_refused(tmp_path: Path) -> None:
    data = tarball({"LICENSE": b"Apache"})
    with pytest.raises(BundleError, match=r"package/dist/echarts\.min\.js"):
        extract(data, integrity(data), tmp_path)
