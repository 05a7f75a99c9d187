"""Site terminology (``--terminology PATH``): a hospital's ConceptMaps and value-set additions.

Why at load time: the criteria tree carries expanded code sets (criteria.parse), so a mapped local
code is added to every code set that holds its target (terminology.site_apply), and the evaluator,
the planner (server searches, CDS prefetch) and screening footprints read it exactly like the trial's
own codes. This module reads and checks the files; the value sets' own codes are
terminology.site_value_sets.

Which ConceptMap targets count, which only may be the concept and which never count is
terminology.relationships; nor does a target with ``dependsOn``/``product`` (a condition we cannot
check). A source mapped to answers that exclude each other (Positive and Negative:
terminology.answers) is a problem, and read as neither answer; so is one mapped to two different tests
(ALT and AST: terminology.analytes), a LOINC code mapped to another (two tests by definition), a target
whose R4 ``equivalence`` and R5 ``relationship`` disagree, and ``noMap`` with a target.

A group without ``source`` (optional in R4 and R5) takes the one code system its map's source scope
names in the terminology files (terminology.scope); otherwise it is an error naming the map and group.
Only the codes a group lists are mapped: ``group.unmapped`` is not applied ('fixed' would make every
other site code mean its target, codes nobody reviewed), nor a chain (A -> B, B -> C is no A -> C);
``validate`` warns of both (terminology.site_checks), and of suggestions and ``dependsOn`` targets.

A site ValueSet with a trial value set's canonical url adds its ``compose.include`` concepts to it
(and the definitions' value sets it includes), less its ``compose.exclude`` concepts: an exclude
removes from the site's own codes, never the trial's (one that names only those is a warning); an
include or exclude read otherwise than FHIR says (a whole code system, a filter, an included value
set the definitions lack, an intersection) is an error, not dropped. A ValueSet a map names as its
source scope describes the site's codes, and adds nothing.

Errors: a file that cannot be used at all (missing, not JSON, not a ConceptMap/ValueSet/Bundle) is
an :class:`InputError` (exit 2); content that is wrong (no code, unknown relationship, a value set
url the definitions do not have, a filter, a whole code system) is a :class:`DefinitionError` (exit 1),
as ``validate``.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from fhir_eligibility.codes import (
    ATC,
    ICD10,
    ICD10CM,
    LOINC,
    RXNORM,
    SNOMED,
    Code,
    display,
    norm_code,
    norm_system,
    with_atc_groups,
)
from fhir_eligibility.criteria.model import (
    CodedTest,
    CodeMapping,
    Definition,
    Derived,
    ObservationValue,
    Records,
    Trial,
)
from fhir_eligibility.errors import DefinitionError, InputError
from fhir_eligibility.terminology.analytes import Analytes
from fhir_eligibility.terminology.answers import exclusive
from fhir_eligibility.terminology.relationships import AS_R5, COUNTS, KNOWN, SUGGESTIONS
from fhir_eligibility.terminology.scope import Scopes
from fhir_eligibility.terminology.site_apply import apply_mappings
from fhir_eligibility.terminology.site_value_sets import include_problems, included, listed_codes

if TYPE_CHECKING:
    from fhir_eligibility.criteria.load import DefinitionSet

Json = dict[str, Any]
Problem = tuple[str, str, str]  # file, location, message

STANDARD = frozenset({LOINC, SNOMED, ICD10, ICD10CM, RXNORM, ATC})  # codes a site map may not redefine
IGNORED_TYPES = {"CodeSystem", "NamingSystem"}  # a site may ship its local CodeSystem alongside


def _canonical(value: object) -> str:
    return str(value or "").split("|")[0]


@dataclass
class SiteTerminology:
    """What the site's files say, read once; ``problems`` are content errors (exit 1)."""

    mappings: list[CodeMapping] = field(default_factory=list)
    maybe: list[CodeMapping] = field(default_factory=list)  # broader site codes: a record may be the concept
    value_sets: list[tuple[str, Json]] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)
    where: dict[CodeMapping, tuple[str, str]] = field(default_factory=dict)  # file, location of each mapping
    warnings: list[Problem] = field(default_factory=list)  # read, but not applied as written (validate says)
    scope_sets: list[tuple[str, str]] = field(default_factory=list)  # file, url of maps' source-scope value sets

    @classmethod
    def read(cls, paths: Iterable[Path]) -> SiteTerminology:
        site = cls()
        found: list[tuple[str, Json]] = []
        for path in paths:
            if not path.exists():
                raise InputError(f"{path}: no such terminology file or folder")
            files = sorted(path.rglob("*.json")) if path.is_dir() else [path]
            if not files:
                raise InputError(f"{path}: no terminology files (*.json)")
            for f in files:
                found += [(str(f), res) for res in _resources(f)]
        # every file read first: a map's source scope may be a CodeSystem or ValueSet of a later file
        scopes = Scopes.of(found)
        for file, res in found:
            site.add(file, res, scopes)
        site.problems += site._contradictions()
        return site

    def _contradictions(self) -> list[Problem]:
        """A site code mapped to answers that exclude each other (Positive and Negative), or to an answer
        its own code excludes: a result coded with it would be both. Said at the later of the two targets
        (apply reads it as neither)."""
        by_source: dict[Code, list[CodeMapping]] = {}
        for m in self.mappings:
            by_source.setdefault(m.source, []).append(m)
        problems: list[Problem] = []
        for source, ms in by_source.items():
            # the source counts too: Positive mapped 'equivalent' to Negative makes a Positive result both
            pair = exclusive(frozenset({source, *(m.target for m in ms)}))
            if pair is None:
                continue
            last = [m for m in ms if m.target in pair][-1]
            file, where = self.where.get(last, ("", "ConceptMap"))
            if source in pair:
                other = display(next(c for c in pair if c != source))
                why = f"{display(source)} is mapped to {other}, an answer that excludes it"
            else:
                answers = " and ".join(display(c) for c in pair)
                why = f"{display(source)} is mapped to {answers}, answers that exclude each other"
            problems.append((file, where, why))
        return problems

    def redefinitions(self, trials: list[Trial]) -> list[Problem]:
        """A map whose source is a standard code (LOINC, SNOMED CT, ICD-10(-CM), RxNorm, ATC) that a
        criterion already reads in a code set its target is not in: the map would give the standard code a
        second meaning (platelets 777-3 read as neutrophils 751-8, Positive as Negative), changing verdicts
        of data the site did not code locally. A site map adds local codes; it never redefines standard ones,
        so this is an error (whatever the relationship), not a warning. So are a LOINC code mapped to another
        (two LOINC codes are two tests; a crosswalk joins different code systems) and a site code mapped to two
        different tests (:meth:`_two_tests`)."""
        sets = {s for t in trials for top in t.criteria for n in top.walk() for s in _code_sets(n.definition)}
        problems: list[Problem] = []
        for m in [*self.mappings, *self.maybe]:
            if m.source[0] not in STANDARD or m.source == m.target:
                continue
            targets = with_atc_groups(frozenset({m.target}))
            gains = any(m.source not in s and not targets.isdisjoint(s) for s in sets)  # apply adds it there
            if gains and any(m.source in s and targets.isdisjoint(s) for s in sets):
                file, where = self.where.get(m, ("", "ConceptMap"))
                why = (
                    f"{display(m.source)} is a standard code the criteria already read, with another meaning than "
                    f"{display(m.target)}: a site map adds local codes, it must not redefine a standard one"
                )
                problems.append((file, where, why))
        said = {(f, w) for f, w, _ in problems}
        for m in [*self.mappings, *self.maybe]:  # two LOINC codes are two tests, whether a criterion reads one or not
            file, where = self.where.get(m, ("", "ConceptMap"))
            if m.source[0] == m.target[0] == LOINC and m.source != m.target and (file, where) not in said:
                why = f"{display(m.source)} mapped to {display(m.target)}: two LOINC codes are two different tests"
                problems.append((file, where, f"{why}; a map adds site codes, it never joins standard ones"))
        return problems + self._two_tests(trials)

    def _two_tests(self, trials: list[Trial]) -> list[Problem]:
        """A site code mapped to two different tests (ALT and AST: terminology.analytes), in one map or
        across several: a result coded with it would be both, and prove neither. Said at the later target."""
        tests = Analytes(trials)
        by_source: dict[Code, list[CodeMapping]] = {}
        for m in [*self.mappings, *self.maybe]:
            by_source.setdefault(m.source, []).append(m)
        problems: list[Problem] = []
        for source, ms in by_source.items():
            pair = tests.conflict(frozenset(m.target for m in ms)) if len(ms) > 1 else None
            if pair is None:
                continue
            file, where = self.where.get([m for m in ms if m.target in pair][-1], ("", "ConceptMap"))
            why = f"{display(source)} is mapped to {display(pair[0])} and {display(pair[1])}, two different tests"
            problems.append((file, where, f"{why}: a result coded with it would be both"))
        return problems

    def add(self, file: str, res: Json, scopes: Scopes) -> None:
        rtype = res.get("resourceType")
        if rtype not in ("ConceptMap", "ValueSet"):
            if rtype not in IGNORED_TYPES:
                raise InputError(f"{file}: {rtype} is not terminology (ConceptMap, ValueSet or a Bundle of them)")
            return
        try:
            if rtype == "ConceptMap":
                self._concept_map(file, res, scopes)
            elif _canonical(res.get("url")) in scopes.named:  # a map's source scope: the site's codes
                self.scope_sets.append((file, _canonical(res.get("url"))))
            else:
                self._value_set(file, res)
        except (AttributeError, TypeError, KeyError) as e:  # an object where a list belongs, or the reverse
            why = f"malformed ({e.__class__.__name__}: an element is not the list or object FHIR has there)"
            self.problems.append((file, str(rtype), why))

    def _concept_map(self, file: str, cm: Json, scopes: Scopes) -> None:
        name = _canonical(cm.get("url")) or f"ConceptMap/{cm.get('id') or Path(file).stem}"
        groups = cm.get("group") or []
        if not groups:
            self.problems.append((file, f"{name}", "ConceptMap without group"))
        for g, group in enumerate(groups):
            where = f"ConceptMap.group[{g}]"
            source, target = _canonical(group.get("source")), _canonical(group.get("target"))
            if not source:
                source, why = scopes.system(cm)
                if not source:
                    self.problems.append((file, f"{where}.source", f"{name} group[{g}] has no source: {why}"))
                    continue  # its codes would be read in no system, or in a guessed one
            if group.get("unmapped") is not None:
                self.warnings.append((file, f"{where}.unmapped", _unmapped(group["unmapped"])))
            for e, element in enumerate(group.get("element") or []):
                ewhere = f"{where}.element[{e}]"
                if not element.get("code"):
                    self.problems.append((file, f"{ewhere}.code", "no code"))
                    continue
                if element.get("noMap") is True and element.get("target"):  # R5 cmd-1: noMap has no target
                    self.problems.append((file, f"{ewhere}.noMap", "noMap is true and a target is given: which holds?"))
                    continue
                for t, tgt in enumerate(element.get("target") or []):
                    self._target(file, f"{ewhere}.target[{t}]", name, (source, element["code"]), target, tgt)

    def _target(self, file: str, where: str, name: str, src: tuple[str, str], system: str, tgt: Json) -> None:
        rel = tgt.get("relationship") or tgt.get("equivalence")
        r4, r5 = tgt.get("equivalence"), tgt.get("relationship")
        if r4 is not None and r5 is not None and AS_R5.get(str(r4), r4) != r5:  # which one the site meant is unknown
            self.problems.append((file, where, f"equivalence {r4!r} and relationship {r5!r} disagree: give one"))
            return
        if rel not in KNOWN:
            self.problems.append((file, where, f"equivalence/relationship {rel!r} is not a ConceptMap code"))
            return
        if rel in ("unmatched", "not-related-to", "disjoint"):
            return
        if not tgt.get("code") or not system:
            self.problems.append((file, where, "no target code (and group.target system)"))
            return
        source, target = norm_code(*src), norm_code(system, tgt["code"])
        if rel in SUGGESTIONS:
            why = f"{rel!r} is a suggestion and counts for nothing: a person sets it to equivalent (or wider)"
            self.warnings.append((file, where, why))
        elif tgt.get("dependsOn") or tgt.get("product"):
            self.warnings.append((file, where, "not applied: dependsOn/product is a condition that cannot be checked"))
        elif source and target:
            mapping = CodeMapping(source, target, name, str(rel))
            (self.mappings if rel in COUNTS else self.maybe).append(mapping)
            self.where.setdefault(mapping, (file, where))

    def _value_set(self, file: str, vs: Json) -> None:
        if not vs.get("url"):
            self.problems.append(
                (file, "ValueSet.url", "a site value set needs the url of the trial value set it adds to")
            )
        for i, inc in enumerate((vs.get("compose") or {}).get("include") or []):
            where = f"ValueSet.compose.include[{i}]"
            if inc.get("filter"):
                self.problems.append((file, f"{where}.filter", "filters need a terminology server: list the concepts"))
            if not inc.get("system") and not inc.get("valueSet"):
                self.problems.append((file, f"{where}.system", "no code system"))
            if any(not c.get("code") for c in inc.get("concept") or []):
                self.problems.append((file, f"{where}.concept", "a concept without code"))
            self.problems.extend((file, f"{where}{at}", why) for at, why in include_problems(inc))
        self._excludes(file, vs)
        if not included(vs):
            self.problems.append((file, "ValueSet", "no concept (compose.include nor expansion.contains)"))
        self.value_sets.append((file, vs))

    def _excludes(self, file: str, vs: Json) -> None:
        """``compose.exclude`` removes from the site value set's own codes (``site_value_sets.included``):
        one it cannot compute (a filter, a value set) is an error, as the codes it excludes would count;
        one naming codes the site's includes lack removes nothing (never the trial's codes): said, not
        applied."""
        own = {c for inc in included(vs, excluding=False) for c in listed_codes(inc)}
        for i, exc in enumerate((vs.get("compose") or {}).get("exclude") or []):
            where = f"ValueSet.compose.exclude[{i}]"
            if exc.get("filter") or exc.get("valueSet"):
                key = "filter" if exc.get("filter") else "valueSet"
                self.problems.append(
                    (file, f"{where}.{key}", f"an exclude by {key} cannot be applied: list the concepts")
                )
            elif not exc.get("system"):
                self.problems.append((file, f"{where}.system", "no code system"))
            elif not exc.get("concept"):
                if not any(c[0] == norm_system(exc["system"]) for c in own):
                    self.warnings.append((file, where, f"not applied: this value set adds no code of {exc['system']}"))
            else:
                lost = [c for c in listed_codes(exc) if c not in own]
                if lost:
                    names = ", ".join(display(c) for c in lost[:3]) + (" ..." if len(lost) > 3 else "")
                    why = f"not applied to {names}: not among this value set's own codes"
                    why += " (it adds codes, never removes the trial's)"
                    self.warnings.append((file, where, why))

    def extend_value_sets(self, ds: DefinitionSet) -> list[Problem]:
        """Add each site value set's includes to the definitions' value set with the same url; an
        included value set the definitions do not have is a problem (it would add nothing, silently)."""
        problems: list[Problem] = [
            (file, "ValueSet.url", f"{url!r} is a map's source scope (the site's codes) and a trial value set")
            for file, url in self.scope_sets
            if url in ds.by_key
        ]
        for file, vs in self.value_sets:
            for i, inc in enumerate((vs.get("compose") or {}).get("include") or []):
                refs = inc.get("valueSet")
                for j, ref in enumerate(refs if isinstance(refs, list) else []):
                    found = ds.resolve(ref) if isinstance(ref, str) else None
                    if found is None or found.get("resourceType") != "ValueSet":
                        where = f"ValueSet.compose.include[{i}].valueSet[{j}]"
                        problems.append((file, where, f"{ref!r} is not a value set of the definitions"))
            url = _canonical(vs.get("url"))
            base = ds.by_key.get(url) if url else None
            if base is None or base.get("resourceType") != "ValueSet":
                if url:
                    problems.append((file, "ValueSet.url", f"{url!r} is not a value set of the definitions"))
                continue
            compose = base.get("compose") or {}
            extra = included(vs)
            merged = {**base, "compose": {**compose, "include": [*(compose.get("include") or []), *extra]}}
            for key, res in list(ds.by_key.items()):
                if res is base:
                    ds.by_key[key] = merged
            ds.file_of[id(merged)] = ds.file_of.get(id(base), file)
        return problems

    def raise_problems(self, more: list[Problem] | None = None) -> None:
        """One line, exit 1: the first problem and how many more (``validate --terminology`` lists all)."""
        problems = [*self.problems, *(more or [])]
        if problems:
            file, where, message = problems[0]
            rest = f" (and {len(problems) - 1} more: validate --terminology lists them)" if len(problems) > 1 else ""
            raise DefinitionError(f"{file}: {where}: {message}{rest}")

    def apply(self, trials: list[Trial]) -> list[Trial]:
        """Each trial with the mapped site codes added to every code set holding their target
        (terminology.site_apply), those that may be the concept (``maybe``) too."""
        return apply_mappings(trials, [*self.mappings, *self.maybe])


def _code_sets(d: Definition) -> list[frozenset[Code]]:
    """The code sets a definition reads each as one meaning (a Derived formula's inputs are several labs)."""
    match d:
        case Records():
            return [d.codes]
        case ObservationValue():
            test = [d.test.codes, d.test.others] if isinstance(d.test, CodedTest) else []
            return [d.codes, *test]
        case Derived():
            return [d.test.codes, d.test.others] if isinstance(d.test, CodedTest) else []
        case _:
            return []


def _unmapped(unmapped: object) -> str:
    """Why ``group.unmapped`` is not applied: 'fixed' (R4, R5) would make every site code the group does
    not list mean its code, codes nobody reviewed; 'provided'/'use-source-code' reads the site's code as
    itself, which it is already; 'other-map' is a chain (not followed)."""
    mode = unmapped.get("mode") if isinstance(unmapped, dict) else None
    why = "only the codes group.element lists are mapped (an unlisted site code counts for nothing)"
    return f"mode {mode!r} is not applied: {why}"


def _resources(f: Path) -> list[Json]:
    try:
        data = json.loads(f.read_text(encoding="utf-8-sig"))
    except (OSError, UnicodeDecodeError) as e:
        raise InputError(f"{f}: cannot read ({e.__class__.__name__})") from None
    except json.JSONDecodeError as e:
        raise InputError(f"{f}: not valid JSON (line {e.lineno}, column {e.colno})") from None
    except RecursionError:  # arrays or objects nested beyond the parser's stack: one line, as patient data
        raise InputError(f"{f}: not valid JSON (nested too deeply)") from None
    if not isinstance(data, dict) or not isinstance(data.get("resourceType"), str):
        raise InputError(f"{f}: not a FHIR resource (no resourceType)")
    if data["resourceType"] == "Bundle":
        entries = data.get("entry") or []
        if not isinstance(entries, list):
            raise InputError(f"{f}: Bundle.entry is not a list")
        return [e["resource"] for e in entries if isinstance(e, dict) and isinstance(e.get("resource"), dict)]
    return [data]


__all__ = ["Problem", "SiteTerminology"]
