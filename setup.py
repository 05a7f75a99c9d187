"""Build the wheel with the evaluation core compiled by mypyc, as black and mypy ship theirs.

``pip install .`` compiles the modules listed in tools/compile_engine.py (about 2x faster per
patient; a C compiler and the Python headers are needed, ~1-2 minutes). The pure-Python modules
stay in the wheel, so when compilation is unavailable or fails the package is pure Python and
works the same. Pure Python is also what you get with ``FHIR_ELIGIBILITY_PURE=1`` and with an
editable install (``pip install -e``, ``make setup``): compiled modules next to the sources would
shadow every edit.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import Any

from setuptools import setup
from setuptools.command.build_ext import build_ext

ROOT = Path(__file__).resolve().parent
sys.path.insert(0, str(ROOT / "tools"))
from compile_engine import MODULES, MYPYC_OPTIONS  # noqa: E402

BUILDS = {"bdist_wheel", "build", "build_ext", "install"}


class OptionalBuildExt(build_ext):
    """A failed compilation leaves a pure-Python package, not a failed install."""

    def run(self) -> None:
        try:
            super().run()
        except Exception as e:  # CompileError, a missing compiler or headers
            print(f"fhir-eligibility: mypyc build failed ({e}); installing pure Python", file=sys.stderr)
            for out in self.get_outputs():
                Path(out).unlink(missing_ok=True)
            self.extensions = []


def _extensions() -> list[Any]:
    if os.environ.get("FHIR_ELIGIBILITY_PURE") or "editable_wheel" in sys.argv:
        return []
    if not BUILDS.intersection(sys.argv):  # metadata steps (egg_info, dist_info) need no compiler
        return []
    try:
        from mypyc.build import mypycify

        return list(mypycify([*MYPYC_OPTIONS, *MODULES], opt_level="3"))
    except (Exception, SystemExit) as e:  # mypyc missing, or a type error it refuses to compile
        print(f"fhir-eligibility: mypyc unavailable ({e}); installing pure Python", file=sys.stderr)
        return []


setup(ext_modules=_extensions(), cmdclass={"build_ext": OptionalBuildExt})
