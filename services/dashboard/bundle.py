"""Put ECharts into the package: ``python -m services.dashboard.bundle``.

The dashboard's pages are served by the API alone, and government networks reach no public
CDN, so the one browser library it needs is copied into ``static/vendor`` at build time
(``make install``, infra/Dockerfile) from the version ``web/package-lock.json`` pins. With
``npm`` on the machine, ``npm ci`` installs the lock in a temporary copy of ``web/``; a
newcomer with only Python gets the same tarball: the lock's ``resolved`` URL, downloaded with
urllib and checked against the lock's sha512 ``integrity`` before anything is extracted.
Nothing is written when both files are already there (``--force`` replaces them).
"""

from __future__ import annotations

import argparse
import base64
import hashlib
import io
import json
import shutil
import subprocess
import sys
import tarfile
import tempfile
import urllib.request
from dataclasses import dataclass
from pathlib import Path

HERE = Path(__file__).resolve().parent
WEB = HERE / "web"
VENDOR = HERE / "static" / "vendor"
PACKAGE = "echarts"
# What the page loads, and the licence that must travel with it (Apache-2.0 asks for it).
FILES = {"dist/echarts.min.js": "echarts.min.js", "LICENSE": "LICENSE"}
DOWNLOAD_TIMEOUT_SECONDS = 120


class BundleError(Exception):
    """The library could not be put in place as the lock pins it."""


@dataclass(frozen=True)
class Pinned:
    version: str
    resolved: str
    integrity: str


def pinned(lock_path: Path = WEB / "package-lock.json") -> Pinned:
    """The version, tarball URL and integrity the lock file records for ECharts."""
    entry = json.loads(lock_path.read_text())["packages"][f"node_modules/{PACKAGE}"]
    return Pinned(entry["version"], entry["resolved"], entry["integrity"])


def check_integrity(data: bytes, integrity: str) -> None:
    """Subresource-integrity check as npm does it, for the sha512 the lock holds."""
    algorithm, _, expected = integrity.partition("-")
    if algorithm != "sha512":
        raise BundleError(f"the lock's integrity is {algorithm!r}, not sha512")
    actual = base64.b64encode(hashlib.sha512(data).digest()).decode()
    if actual != expected:
        raise BundleError("the downloaded tarball does not match the lock's integrity")


def extract(tarball: bytes, integrity: str, target: Path) -> None:
    """Check the tarball, then write the wanted members (read as data, never extracted by
    their own names, so no member can write outside ``target``)."""
    check_integrity(tarball, integrity)
    target.mkdir(parents=True, exist_ok=True)
    with tarfile.open(fileobj=io.BytesIO(tarball), mode="r:gz") as archive:
        for member_name, file_name in FILES.items():
            try:
                member = archive.getmember(f"package/{member_name}")
            except KeyError as missing:
                raise BundleError(f"the tarball has no package/{member_name}") from missing
            source = archive.extractfile(member)
            if source is None:
                raise BundleError(f"package/{member_name} is not a file")
            (target / file_name).write_bytes(source.read())


def download(url: str) -> bytes:
    if not url.startswith("https://"):
        raise BundleError(f"the lock's resolved URL is not https: {url}")
    with urllib.request.urlopen(url, timeout=DOWNLOAD_TIMEOUT_SECONDS) as response:  # noqa: S310 - https only, checked above
        data: bytes = response.read()
    return data


def with_npm(npm: str, target: Path) -> None:
    """``npm ci`` of the lock in a throwaway copy of web/, then copy the files out."""
    with tempfile.TemporaryDirectory(prefix="sws-dashboard-") as scratch:
        work = Path(scratch)
        for name in ("package.json", "package-lock.json"):
            shutil.copy(WEB / name, work / name)
        subprocess.run(  # noqa: S603 - our own npm, fixed arguments
            [npm, "ci", "--ignore-scripts", "--no-audit", "--no-fund"],
            cwd=work,
            check=True,
            stdout=subprocess.DEVNULL,
        )
        installed = work / "node_modules" / PACKAGE
        target.mkdir(parents=True, exist_ok=True)
        for member_name, file_name in FILES.items():
            shutil.copy(installed / member_name, target / file_name)


def present(target: Path = VENDOR) -> bool:
    return all((target / name).is_file() for name in FILES.values())


def bundle(target: Path = VENDOR, force: bool = False, use_npm: bool = True) -> str:
    """Put the pinned ECharts in ``target``; says how (or that it was there already)."""
    if present(target) and not force:
        return "already there"
    lock = pinned()
    npm = shutil.which("npm") if use_npm else None
    if npm is not None:
        with_npm(npm, target)
        return f"{PACKAGE} {lock.version} installed with npm ci"
    extract(download(lock.resolved), lock.integrity, target)
    return f"{PACKAGE} {lock.version} downloaded from {lock.resolved}, integrity checked"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--force", action="store_true", help="replace the files if present")
    parser.add_argument(
        "--without-npm", action="store_true", help="download the tarball even if npm exists"
    )
    args = parser.parse_args(argv)
    try:
        how = bundle(force=args.force, use_npm=not args.without_npm)
    except (BundleError, OSError, subprocess.CalledProcessError) as failed:
        print(f"dashboard bundle: {failed}", file=sys.stderr)
        return 1
    print(f"dashboard bundle: {how} ({VENDOR})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
