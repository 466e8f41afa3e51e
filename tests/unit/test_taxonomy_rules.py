"""The taxonomy's pure rules: tree shape, playbook branches, pack parsing, the text model."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from murphy.core.errors import ValidationFailed
from murphy.taxonomy import rules, service, suggest
from murphy.taxonomy.schemas import Level, StepIn, TypeIn

# --- tree shape ------------------------------------------------------------------------


def _type(code: str, *children: TypeIn) -> TypeIn:
    return TypeIn(code=code, name=code.title(), children=list(children))


def test_flatten_places_levels_parents_first() -> None:
    nodes = rules.flatten([_type("a", _type("a.b", _type("a.b.c")))])
    assert [(n.spec.code, n.parent, n.level) for n in nodes] == [
        ("a", None, Level.CATEGORY),
        ("a.b", "a", Level.TYPE),
        ("a.b.c", "a.b", Level.SUBTYPE),
    ]


def test_too_deep_a_tree_names_the_type() -> None:
    with pytest.raises(ValidationFailed, match=r"'a\.b\.c\.d' is nested too deep"):
        rules.flatten([_type("a", _type("a.b", _type("a.b.c", _type("a.b.c.d"))))])


def test_a_duplicate_code_is_named() -> None:
    with pytest.raises(ValidationFailed, match=r"duplicate type code 'a\.x'"):
        rules.flatten([_type("a", _type("a.x")), _type("b", _type("a.x"))])


def test_a_cycle_in_a_flat_list_is_named() -> None:
    with pytest.raises(ValidationFailed, match=r"cycle: (b → c → b|c → b → c)"):
        rules.order_flat({"a": None, "b": "c", "c": "b"})


def test_an_unknown_parent_is_named() -> None:
    with pytest.raises(ValidationFailed, match="'b' names an unknown parent 'zz'"):
        rules.order_flat({"a": None, "b": "zz"})


@st.composite
def forests(draw: st.DrawFn) -> dict[str, str | None]:
    """Random forests as code → parent, in a random order."""
    n = draw(st.integers(min_value=1, max_value=30))
    parents: dict[str, str | None] = {}
    for i in range(n):
        parent = draw(st.one_of(st.none(), st.integers(min_value=0, max_value=max(0, i - 1))))
        parents[f"t{i}"] = f"t{parent}" if parent is not None and i > 0 else None
    keys = draw(st.permutations(list(parents)))
    return {k: parents[k] for k in keys}


@given(forests())
def test_order_flat_puts_every_parent_before_its_children(parents: dict[str, str | None]) -> None:
    order = rules.order_flat(parents)
    assert sorted(order) == sorted(parents)
    position = {code: i for i, code in enumerate(order)}
    assert all(p is None or position[p] < position[c] for c, p in parents.items())


# --- playbooks -------------------------------------------------------------------------

QUESTION = StepIn(key="weapon", title="Weapon?", question="Weapon involved?")
POLICE = StepIn(key="police", title="Call police", when={"step": "weapon", "answer": True})
CALM = StepIn(key="calm", title="Talk", when={"step": "weapon", "answer": False})


def test_a_branch_on_a_later_step_is_refused() -> None:
    with pytest.raises(ValidationFailed, match="'police' depends on 'weapon'"):
        rules.check_playbook("x", [POLICE, QUESTION])


def test_a_branch_on_an_unknown_step_is_refused() -> None:
    stray = StepIn(key="s", title="S", when={"step": "nope", "answer": True})
    with pytest.raises(ValidationFailed, match="depends on 'nope'"):
        rules.check_playbook("x", [QUESTION, stray])


def test_a_branch_on_a_step_without_a_question_is_refused() -> None:
    plain = StepIn(key="weapon", title="Look")
    with pytest.raises(ValidationFailed, match="earlier step with a question"):
        rules.check_playbook("x", [plain, POLICE])


def test_walk_steps_follows_the_answers() -> None:
    steps = [QUESTION, POLICE, CALM]
    assert [s.key for s in rules.walk_steps(steps, {})] == ["weapon"]
    assert [s.key for s in rules.walk_steps(steps, {"weapon": True})] == ["weapon", "police"]
    assert [s.key for s in rules.walk_steps(steps, {"weapon": False})] == ["weapon", "calm"]


# --- parsing packs ---------------------------------------------------------------------


def test_bad_yaml_is_a_clear_error() -> None:
    with pytest.raises(ValidationFailed, match="not valid YAML"):
        service.parse_pack("pack: x\ncategories: [\n  - code: a")


def test_an_unknown_required_field_names_the_type() -> None:
    text = """
pack: x
categories:
  - code: a
    name: A
    children:
      - {code: a.b, name: B, required_fields: [place, shoe_size]}
"""
    with pytest.raises(ValidationFailed, match=r"type 'a\.b'.*unknown required field.*shoe_size"):
        service.parse_pack(text)


def test_a_flat_pack_with_a_cycle_is_refused() -> None:
    text = """
pack: x
types:
  - {code: a, name: A}
  - {code: b, name: B, parent: c}
  - {code: c, name: C, parent: b}
"""
    with pytest.raises(ValidationFailed, match="cycle"):
        service.parse_pack(text)


def test_a_flat_pack_nests_by_parent() -> None:
    text = """
pack: x
types:
  - {code: a.b, name: B, parent: a}
  - {code: a, name: A}
"""
    pack = service.parse_pack(text)
    assert [c.code for c in pack.categories] == ["a"]
    assert [c.code for c in pack.categories[0].children] == ["a.b"]


def test_numeric_keywords_are_kept_as_text() -> None:
    pack = service.parse_pack("pack: x\ncategories:\n  - {code: a, name: A, keywords: [5150, 911]}")
    assert pack.categories[0].keywords == ["5150", "911"]


@pytest.mark.parametrize("name", service.PACKS)
def test_each_shipped_pack_is_well_formed(name: str) -> None:
    from importlib import resources

    text = resources.files("murphy.taxonomy").joinpath(f"packs/{name}.yaml").read_text()
    nodes = rules.flatten(service.parse_pack(text).categories)
    types = [n for n in nodes if n.level is not Level.CATEGORY]
    assert 15 <= len(types) <= 60
    assert all(n.spec.keywords and n.spec.description for n in types)
    assert any(n.spec.playbook for n in types)
    assert any(s.when for n in types for s in n.spec.playbook)


# --- the text model --------------------------------------------------------------------


def test_stems_join_the_forms_of_a_word() -> None:
    forms = {suggest.stem(w) for w in ("tailgating", "tailgated", "tailgate", "tailgates")}
    assert len(forms) == 1
    assert suggest.stem("fires") == suggest.stem("fire")


def test_tokens_drop_stop_words_and_accents() -> None:
    assert suggest.tokens("The Café's door was FORCED") == ["cafes", "door", "forced"]


def _doc(i: int, code: str, name: str, keywords: tuple[str, ...]) -> suggest.TypeDoc:
    return suggest.TypeDoc(i, code, name, (name,), "p", "", keywords, "")


MODEL = suggest.Model(
    [
        _doc(1, "theft", "Theft of property", ("stolen", "wallet", "laptop")),
        _doc(2, "fire", "Fire or smoke", ("flames", "burning", "smoke")),
        _doc(3, "tailgating", "Tailgating", ("followed", "turnstile", "badge")),
    ]
)


def test_the_model_ranks_the_right_type_first_and_says_why() -> None:
    (best, *_) = MODEL.rank("someone stole my wallet from the desk")
    assert best.code == "theft"
    assert "wallet" in best.words
    assert 0 < best.score <= 1


def test_a_misspelling_still_finds_the_type() -> None:
    assert MODEL.rank("man tailgaiting thru the turnstyle")[0].code == "tailgating"


def test_text_with_nothing_known_suggests_nothing() -> None:
    assert MODEL.rank("qwxz lorem ipsum") == []


def test_history_teaches_the_model_new_words() -> None:
    text = "zorblax incident in the lobby"
    assert MODEL.rank(text) == []
    learned = suggest.Model(MODEL.docs, [(2, "zorblax detected"), (2, "zorblax again")])
    assert learned.rank(text)[0].code == "fire"


def test_ranking_is_deterministic() -> None:
    text = "smoke and a burning smell near the turnstile"
    assert MODEL.rank(text) == MODEL.rank(text)


def test_search_terms_are_prefixes_or_words() -> None:
    assert suggest.search_terms("The tailgaters were tailgating at the gym") == [
        "tailgater",
        "tailgat",
        "gym",
    ]
