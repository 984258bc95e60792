"""Packaging for httpcore. Tool configuration lives in pyproject.toml."""

import re
from pathlib import Path

from setuptools import find_packages, setup

HERE = Path(__file__).parent


def read_version() -> str:
    # Parse rather than import: importing the package would need its
    # dependencies installed before they are.
    text = (HERE / "httpcore" / "__version__.py").read_text(encoding="utf-8")
    match = re.search(r"^__version__ = [\"']([^\"']+)[\"']", text, re.MULTILINE)
    if match is None:
        raise RuntimeError("httpcore/__version__.py defines no __version__")
    return match.group(1)


EXTRAS = {
    "brotli": [
        "brotli; platform_python_implementation == 'CPython'",
        "brotlicffi; platform_python_implementation != 'CPython'",
    ],
    "zstd": ["zstandard>=0.18"],
    "trio": ["trio>=0.23"],
    "socks": ["socksio>=1.0"],
    "cli": ["rich>=13", "click>=8"],
}
EXTRAS["all"] = sorted({req for reqs in EXTRAS.values() for req in reqs})


setup(
    name="httpcore",
    version=read_version(),
    description="An async-first HTTP client with a requests-style API, sync and async.",
    long_description=(HERE / "README.md").read_text(encoding="utf-8"),
    long_description_content_type="text/markdown",
    python_requires=">=3.10",
    packages=find_packages(exclude=["tests*", "bench*"]),
    package_data={"httpcore": ["py.typed"]},
    include_package_data=True,
    zip_safe=False,
    # HTTP/1.1 is parsed by httpcore itself (`_dispatch/http11_wire.py`),
    # for speed; h11 is the reference it is tested against (requirements.txt).
    install_requires=[
        "h2>=4.1",
        "certifi",
        "idna>=3.0",
        "rfc3986>=2.0",
        "chardet>=5.0",
    ],
    extras_require=EXTRAS,
    # The command needs the `cli` extra; without it, it says so and exits.
    entry_points={"console_scripts": ["httpcore=httpcore._cli:main"]},
    classifiers=[
        "Development Status :: 3 - Alpha",
        "Environment :: Web Environment",
        "Framework :: AsyncIO",
        "Framework :: Trio",
        "Intended Audience :: Developers",
        "Operating System :: OS Independent",
        "Programming Language :: Python :: 3",
        "Programming Language :: Python :: 3 :: Only",
        "Programming Language :: Python :: 3.10",
        "Programming Language :: Python :: 3.11",
        "Programming Language :: Python :: 3.12",
        "Topic :: Internet :: WWW/HTTP",
        "Typing :: Typed",
    ],
)
