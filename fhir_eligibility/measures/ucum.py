"""The UCUM engine: parse a UCUM code with a real grammar and convert between codes, strictly.

Why this module exists: criteria compare an Observation's quantity with a threshold that may be
written in another unit. Units are never compared as strings; every code is parsed with a real UCUM
grammar (``ucumvert``) and converted dimensionally by ``pint`` loaded with ``ucumvert``'s UCUM
definitions. On top of that come analyte-specific molar masses (mass <-> amount of substance,
:mod:`~fhir_eligibility.measures.analytes`) and safety guards that plain UCUM dimensional analysis
lacks (see :func:`convert`). Anything that cannot be converted with confidence is ``None``; callers
turn that into an UNKNOWN result, never a fail. Lab free-text spellings are mapped to UCUM codes in
:mod:`~fhir_eligibility.measures.units` (the module callers import).

Pure: no logging and no network. The only side effect is a one-off, lazy load of the UCUM grammar
and definitions shipped inside ``ucumvert`` on first use; parsed units and conversion factors are
cached so a repeated conversion costs a dictionary lookup and one multiply-add.
"""

from __future__ import annotations

import math
import re
import threading
from collections import Counter
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

from fhir_eligibility.measures.analytes import ENZYME_ACTIVITY, MOLAR_MASS_G_PER_MOL, normalise_analyte

__all__ = ["commensurable", "conversion", "convert", "is_ucum", "warm_up"]

# Annotations that only name what is counted ({cells}/uL == /uL); UCUM drops every annotation, but we drop
# only these.  Any other annotation ({1.73_m2}, {INR}, {creat}, ...) must appear identically on both sides,
# so mL/min never silently equals mL/min/{1.73_m2} and an INR never becomes a percentage.
_COUNT_ANNOTATIONS = frozenset(
    {
        "#",
        "beat",
        "beats",
        "breath",
        "breaths",
        "cell",
        "cells",
        "copies",
        "copy",
        "count",
        "counts",
        "event",
        "events",
        "particles",
        "platelet",
        "platelets",
        "rbc",
        "rbcs",
        "wbc",
        "wbcs",
    }
)

# Special (non-ratio) UCUM atoms that pint converts correctly as affine scales, so they need no guard.
_AFFINE_ATOMS = frozenset({"Cel", "[degF]", "[degRe]", "K", "[degR]"})
# UCUM defines eq = osm = mol, true only for monovalent, non-dissociating species (Ca 2.5 mmol/L = 5 mEq/L):
# guarded like arbitrary units, so they convert only among themselves (mEq/L <-> Eq/L).
_VALENCE_ATOMS = frozenset({"eq", "osm"})
# Atoms ucumvert 0.3.2 gets wrong: "g%" becomes gram x percent (1 g% = 10 mg) instead of UCUM's g/dL.
_BROKEN_ATOMS = frozenset({"g%"})

_MAX_CODE_LENGTH = 120

# UCUM reads "1.73" as 1 x 73, so "mL/min/1.73" would be 73 mL/min; nobody means that.
_DECIMAL_FACTOR = re.compile(r"(?:^|[/.(])\d+\.\d")
_ANNOTATION = re.compile(r"\{[^}]*\}")
_WHITESPACE = re.compile(r"\s+")


# --------------------------------------------------------------------------------------------------------
# UCUM engine (lazy: the grammar and definitions are read from ucumvert's package data on first use)


@dataclass(frozen=True, slots=True)
class _Engine:
    registry: Any
    parser: Any
    transformer: Any
    arbitrary_atoms: frozenset[str]
    special_atoms: frozenset[str]
    mass_per_substance: Any
    substance_per_mass: Any
    errors: tuple[type[BaseException], ...]


# Re-entrant: cache misses (parse, factor) run under it because pint and lark state is shared; hits don't.
_ENGINE_LOCK = threading.RLock()
_ENGINE: list[_Engine] = []


def _engine() -> _Engine:
    """Build the parser and a private pint registry once (thread-safe).

    A private registry rather than ``ucumvert.PintUcumRegistry``: the latter's transformer writes UCUM
    definitions into pint's *application* registry and returns quantities from it, a global side effect.
    """
    if _ENGINE:
        return _ENGINE[0]
    with _ENGINE_LOCK:
        if _ENGINE:
            return _ENGINE[0]
        import pint
        import ucumvert
        from lark.exceptions import LarkError
        from ucumvert.xml_util import get_units_with_full_definition

        registry: Any = pint.UnitRegistry()
        registry.load_definitions(Path(ucumvert.__file__).resolve().parent / "pint_ucum_defs.txt")
        definitions = get_units_with_full_definition()
        engine = _Engine(
            registry=registry,
            parser=ucumvert.get_ucum_parser(),
            transformer=ucumvert.UcumToPintTransformer(ureg=registry),
            arbitrary_atoms=frozenset(u.code_cs for u in definitions if u.is_arbitrary),
            special_atoms=frozenset(u.code_cs for u in definitions if u.is_special) - _AFFINE_ATOMS,
            mass_per_substance=registry.Quantity(1.0, "g/mol").dimensionality,
            substance_per_mass=registry.Quantity(1.0, "mol/g").dimensionality,
            errors=(LarkError, pint.errors.PintError, ArithmeticError, ValueError, TypeError, AttributeError),
        )
        _ENGINE.append(engine)
        return engine


@dataclass(frozen=True, slots=True)
class _Unit:
    """A parsed UCUM code: pint magnitude+unit, plus the parts pint ignores that we refuse to ignore."""

    magnitude: float
    units: Any
    dimensionality: Any
    # (annotation-or-guarded-atom, net exponent): must be equal on both sides of a conversion.
    guard: frozenset[tuple[str, int]]
    dimensionless_label: bool  # the whole code is one annotation, e.g. {score}; may pair with "1"


def warm_up() -> None:
    """Build the UCUM parser and registry now (~0.4 s), e.g. in a parent before it forks workers."""
    _engine()


def _guard_terms(node: Any, sign: int, engine: _Engine, out: Counter[str], keep_counts: bool) -> None:
    """Collect meaningful annotations and arbitrary/special atoms with their net exponent.

    ucumvert drops annotations and pint treats [IU] as dimensionless, so both would otherwise make
    mL/min == mL/min/{1.73_m2} and [IU]/L == 10*9/L.  UCUM terms are left-associative: "a/b.c" = (a/b).c.
    """
    from lark import Token, Tree

    if isinstance(node, Token):
        if node.type == "ANNOTATION":
            label = _WHITESPACE.sub("", node.value[1:-1]).replace("_", "").lower()
            if keep_counts or label not in _COUNT_ANNOTATIONS:
                out["{" + label + "}"] += sign
        return
    if not isinstance(node, Tree):
        return
    children = node.children
    rule = node.data
    if rule == "main_term":
        if len(children) == 2:  # leading "/"
            _guard_terms(children[1], -sign, engine, out, keep_counts)
        else:
            _guard_terms(children[0], sign, engine, out, keep_counts)
    elif rule == "term":
        left, operator, right = children
        _guard_terms(left, sign, engine, out, keep_counts)
        _guard_terms(right, sign if str(operator) == "." else -sign, engine, out, keep_counts)
    elif rule == "annotatable" and len(children) == 2 and isinstance(children[1], Token):
        _guard_terms(children[0], sign * int(children[1]), engine, out, keep_counts)
    elif rule == "simple_unit":
        atom = str(children[-1])
        if atom in _BROKEN_ATOMS:
            raise ValueError(atom)  # refused as unparseable; ucum_code() maps "g%"/"mg%" to g/dL, mg/dL
        if atom in engine.arbitrary_atoms:
            out["[IU]" if atom == "[iU]" else atom] += sign  # UCUM: [iU] = [IU]
        elif atom in engine.special_atoms or atom in _VALENCE_ATOMS:
            out[atom] += sign
    else:
        for child in children:
            _guard_terms(child, sign, engine, out, keep_counts)


@lru_cache(maxsize=4096)
def _parse(code: str) -> _Unit | None:
    """Parse one UCUM code (case-sensitive, as UCUM requires); None when it is not valid UCUM."""
    if not code or len(code) > _MAX_CODE_LENGTH or not code.isascii():
        return None
    if _DECIMAL_FACTOR.search(_ANNOTATION.sub("", code)):
        return None  # decimal-looking factor (see _DECIMAL_FACTOR): refuse rather than multiply
    engine = _engine()
    with _ENGINE_LOCK:
        return _parse_locked(code, engine)


def _parse_locked(code: str, engine: _Engine) -> _Unit | None:
    try:
        tree = engine.parser.parse(code)
        quantity = engine.transformer.transform(tree)
        if not hasattr(quantity, "units"):  # ucumvert gives a bare token for "{score}", an int for "{a}.{b}"
            quantity = engine.registry.Quantity(1.0, "")
        magnitude = float(quantity.magnitude)
        dimensionality = quantity.dimensionality
        counts: Counter[str] = Counter()
        # A bare count ("{cells}", "10*3{cells}") is not a fraction: keep its label so it never becomes "%".
        _guard_terms(tree, 1, engine, counts, keep_counts=not dimensionality)
    except engine.errors:
        return None
    if not math.isfinite(magnitude) or magnitude == 0.0:
        return None
    guard = frozenset((k, v) for k, v in counts.items() if v != 0)
    label = code.startswith("{") and code.endswith("}") and code.count("{") == 1
    return _Unit(magnitude, quantity.units, dimensionality, guard, label)


def is_ucum(code: str | None) -> bool:
    """True when ``code`` is a valid, convertible UCUM code (case-sensitive)."""
    return code is not None and _parse(code) is not None


# --------------------------------------------------------------------------------------------------------
# Conversion


def _snap(x: float) -> float:
    """Round to 15 significant digits: removes pint's float-chain noise (999.9999999999999 -> 1000)."""
    return float(f"{x:.15g}")


@lru_cache(maxsize=16384)
def _conversion(from_code: str, to_code: str, analyte: str | None) -> tuple[float, float] | None:
    if analyte in ENZYME_ACTIVITY:  # the international unit of enzyme activity is UCUM's U (umol/min)
        from_code, to_code = from_code.replace("[IU]", "U"), to_code.replace("[IU]", "U")
    with _ENGINE_LOCK:
        return _conversion_locked(from_code, to_code, analyte)


def _conversion_locked(from_code: str, to_code: str, analyte: str | None) -> tuple[float, float] | None:
    source = _parse(from_code)
    target = _parse(to_code)
    if source is None or target is None:
        return None
    if source.guard != target.guard:
        # {score}/{INR} may pair with the bare number "1" (and only with it); nothing else may differ.
        bare_number = (source.dimensionless_label and to_code == "1") or (
            target.dimensionless_label and from_code == "1"
        )
        if not bare_number:
            return None
    engine = _engine()
    bridge: Any = None  # molar mass (or its inverse) as a pint quantity, when one is needed
    if source.dimensionality != target.dimensionality:
        mass = MOLAR_MASS_G_PER_MOL.get(analyte) if analyte is not None else None
        if mass is None:
            return None
        ratio = source.dimensionality / target.dimensionality
        if ratio == engine.mass_per_substance:  # source has mass where target has amount of substance
            bridge = 1.0 / engine.registry.Quantity(mass, "g/mol")
        elif ratio == engine.substance_per_mass:
            bridge = engine.registry.Quantity(mass, "g/mol")
        else:
            return None
    quantity = engine.registry.Quantity

    def apply(value: float) -> float:
        q = quantity(value * source.magnitude, source.units)
        if bridge is not None:
            q = q * bridge
        return float(q.to(target.units).magnitude) / target.magnitude

    try:
        at_zero = apply(0.0)
        slope = apply(1.0) - at_zero
        at_two = apply(2.0)
    except engine.errors:
        return None
    if not all(math.isfinite(v) for v in (at_zero, slope, at_two)) or slope == 0.0:
        return None
    if not math.isclose(at_two, 2.0 * slope + at_zero, rel_tol=1e-9, abs_tol=1e-12):
        return None  # not an affine relationship (logarithmic units): refuse rather than approximate
    return _snap(slope), _snap(at_zero)


# Hot-path cache keyed on the caller's raw arguments (analyte not yet normalised), so a repeated conversion
# is one dict lookup.  Bounded by clearing: real data has a few hundred distinct (from, to, analyte) keys.
_FACTORS: dict[tuple[str, str, str | None], tuple[float, float] | None] = {}
_FACTORS_MAX = 65536


def conversion(from_code: str, to_code: str, analyte: str | None = None) -> tuple[float, float] | None:
    """``(scale, offset)`` with ``to = value * scale + offset`` (offset is 0 except for temperatures).

    Exposed so a caller converting a column of values can hoist the lookup; None when incommensurable.
    """
    key = (from_code, to_code, analyte)
    try:
        return _FACTORS[key]
    except KeyError:
        pass
    factors = _conversion(from_code, to_code, normalise_analyte(analyte))
    if len(_FACTORS) >= _FACTORS_MAX:
        _FACTORS.clear()
    _FACTORS[key] = factors
    return factors


def convert(value: float, from_code: str, to_code: str, analyte: str | None = None) -> float | None:
    """Convert ``value`` between UCUM codes; None when incommensurable, unparseable or not finite.

    Dimensional conversion is UCUM's (via pint).  When the dimensions differ exactly by mass vs amount of
    substance, the analyte's molar mass bridges them (:data:`MOLAR_MASS_G_PER_MOL`); without a known analyte
    that is None.  Stricter than bare UCUM, each time returning None rather than a silent match:
    annotations other than counted-entity labels ({cells}, {copies}...) must match on both sides
    (mL/min vs mL/min/{1.73_m2}, {INR} vs %); arbitrary units ([IU], [arb'U]...) and eq/osm convert only
    to themselves ([IU]/L vs U/L, mEq/L vs mmol/L), except an enzyme's activity (ALT, AST...: IU/L is
    U/L, the enzyme unit by definition); decimal-looking factors ("mL/min/1.73", UCUM's
    73 mL/min) and "g%" (mis-defined by ucumvert) are refused.
    The result is rounded to 12 significant digits: not clinical rounding (lab values carry <= 5 digits),
    it stops binary noise (0.1 + 0.2 = 0.30000000000000004) from flipping an inclusive threshold.
    """
    factors = _FACTORS.get((from_code, to_code, analyte))
    if factors is None:
        factors = conversion(from_code, to_code, analyte)
        if factors is None:
            return None
    try:
        result = value * factors[0] + factors[1]
    except TypeError:  # decimal.Decimal from a FHIR model: float is ample for <= 12 significant digits
        result = float(value) * factors[0] + factors[1]
    if result - result != 0.0:  # inf or nan, from the input or from overflow
        return None
    return float("%.12g" % result)  # noqa: UP031 - %-formatting is the fastest way to round here


def commensurable(a: str, b: str, analyte: str | None = None) -> bool:
    """True when a value in ``a`` can be converted to ``b`` (given the analyte's molar mass, if any)."""
    return _conversion(a, b, normalise_analyte(analyte)) is not None
