"""The form catalog: one YAML per Biểu in config/forms/, read here and matched tolerantly."""
from __future__ import annotations

from dataclasses import dataclass, field
from difflib import SequenceMatcher
from functools import lru_cache
from pathlib import Path


from config.files import config_path, parse_yaml, read_yaml
from contracts.vietnamese import fold, squash

MATCH_THRESHOLD = 0.85  # below this a label is uncatalogued


@dataclass(frozen=True)
class Indicator:
    """One catalogued row of a form: an item within a group, or a total row."""

    code: str
    label: str
    unit: str | None
    group: str | None
    variants: tuple[str, ...] = ()
    sum_of: tuple[str, ...] = ()  # for total rows: the items they add up

    @property
    def is_total(self) -> bool:
        return bool(self.sum_of)


@dataclass(frozen=True)
class Group:
    code: str
    number: str
    label: str
    variants: tuple[str, ...]
    items: tuple[Indicator, ...]


@dataclass(frozen=True)
class Form:
    code: str
    number: str
    program: str | None
    title: str
    title_variants: tuple[str, ...]
    groups: tuple[Group, ...]
    totals: tuple[Indicator, ...]
    narrative: tuple[dict, ...] = field(default=())
    drafted: bool = False  # written by `baocao forms draft` from a table of any layout (it has a `layout:` key)

    def indicator(self, code: str) -> Indicator | None:
        for ind in self.indicators():
            if ind.code == code:
                return ind
        return None

    def indicators(self) -> list[Indicator]:
        return [item for g in self.groups for item in g.items] + list(self.totals)


@dataclass(frozen=True)
class Match:
    """How a label matched the catalog: the thing it matched and how sure."""

    target: object | None
    score: float


@lru_cache(maxsize=8192)
def label_score(written: str, known: str) -> float:
    """1.0 for the same words; 0.97 when only diacritics or case differ; else the similarity of the folded text."""
    a, b = squash(written).lower(), squash(known).lower()
    if a == b:
        return 1.0
    fa, fb = fold(written), fold(known)
    if fa == fb:
        return 0.97
    return round(SequenceMatcher(None, fa, fb).ratio() * 0.95, 3)


def best_match(written: str, candidates: list[tuple[object, tuple[str, ...]]]) -> Match:
    """The candidate whose label or variant is closest to what was written; None below the threshold."""
    best: tuple[float, object | None] = (0.0, None)
    for target, labels in candidates:
        for known in labels:
            score = label_score(written, known)
            if score > best[0]:
                best = (score, target)
    if best[0] < MATCH_THRESHOLD:
        return Match(None, best[0])
    return Match(best[1], best[0])


def _indicator(raw: dict, group: str | None) -> Indicator:
    return Indicator(
        code=raw["code"],
        label=raw["label"],
        unit=raw.get("unit"),
        group=group,
        variants=tuple(raw.get("variants") or ()),
        sum_of=tuple(raw.get("sum_of") or ()),
    )


def _form(raw: dict) -> Form:
    groups = tuple(
        Group(
            code=g["code"],
            number=str(g["group"]),
            label=g["label"],
            variants=tuple(g.get("variants") or ()),
            items=tuple(_indicator(item, str(g["group"])) for item in g.get("items") or ()),
        )
        for g in raw.get("rows") or ()
    )
    return Form(
        code=raw["code"],
        number=str(raw["number"]).zfill(2),
        program=raw.get("program"),
        title=raw.get("title", ""),
        title_variants=tuple(raw.get("title_variants") or ()),
        groups=groups,
        totals=tuple(_indicator(t, None) for t in raw.get("totals") or ()),
        narrative=tuple(raw.get("narrative") or ()),
        drafted=raw.get("layout") is not None,
    )


def load_forms(forms_dir: str | None = None) -> dict[str, Form]:
    """Every form of config/forms/ (or of BAOCAO_CONFIG's forms/ when the steward has one), by code."""
    return _forms_in(str(Path(forms_dir) if forms_dir else config_path("forms")))


@lru_cache(maxsize=4)
def _forms_in(folder: str) -> dict[str, Form]:
    """The forms of one folder, parsed once per process."""
    folder = Path(folder)
    forms = {}
    for path in sorted(folder.glob("*.yaml")):
        form = _form(parse_yaml(path.read_text(encoding="utf-8")))
        forms[form.code] = form
    return forms


def form_for(number: str | None, title: str, forms: dict[str, Form]) -> Match:
    """The form an annex is: by its number ("Biểu số 02"), confirmed or found by its title."""
    by_number = [f for f in forms.values() if number and f.number == number.zfill(2)]
    if by_number:
        form = by_number[0]
        score = max(label_score(title, t) for t in (form.title, *form.title_variants)) if title else 0.0
        return Match(form, max(score, 0.9))
    return best_match(title, [(f, (f.title, *f.title_variants)) for f in forms.values()])


@lru_cache(maxsize=1)
def load_programs() -> list[dict]:
    return read_yaml("programs.yaml")["programs"]


def program_for(text: str, title: str | None = None) -> str | None:
    """The program a report belongs to, by the keywords of config/programs.yaml in its title and the first
    5 000 characters of its text (folded whole: the reader has folded it already to find the unit)."""
    folded = " ".join(filter(None, [fold(title) if title else None, fold(text)[:5000]]))
    for program in load_programs():
        if any(fold(k) in folded for k in program["keywords"]):
            return program["code"]
    return None


load_forms.cache_clear = _forms_in.cache_clear  # tests that edit a forms folder read it afresh
