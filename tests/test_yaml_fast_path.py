"""The fast path (libyaml composes in C) must give exactly what the event composer gives, or step aside."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest
import yaml
from conftest import REPO, front_matter, render_postmortem
from hypothesis import given, settings
from hypothesis import strategies as st
from pmkb.core.source import decode, split_document
from pmkb.core.yaml_positions import _load_events, _load_plain, load_yaml

sys.path.insert(0, str(REPO / "benchmarks"))


def same_as_event_composer(text: str) -> bool:
    """True when the fast path took the text; asserts it agrees with the event composer."""
    fast = _load_plain(text, 2)
    if fast is None:
        return False
    slow, diagnostics = _load_events(text, "p.md", 2)
    assert diagnostics == [] and slow is not None
    assert fast.value == slow.value
    assert fast.value_positions == slow.value_positions
    assert fast.key_positions == slow.key_positions
    return True


def front_matter_text(path: Path) -> str:
    text, _ = decode(path.read_bytes(), str(path))
    return split_document(text, str(path)).front_matter


def test_shipped_postmortems_take_the_fast_path_and_agree():
    paths = sorted((REPO / "postmortems").glob("*/*.md"))
    assert paths and all(same_as_event_composer(front_matter_text(path)) for path in paths)


def test_generated_corpus_agrees(tmp_path):
    import corpus

    corpus.generate(tmp_path, 60, seed=3)
    paths = sorted(p for p in (tmp_path / "postmortems").glob("*/*.md") if p.parent.name != "runbooks")
    assert sum(same_as_event_composer(front_matter_text(path)) for path in paths) == len(paths)


def test_unusual_yaml_goes_to_the_event_composer():
    for text in [
        "a: &x 1\nb: *x\n",  # anchors and aliases
        "a: !!python/object:os.system x\n",  # tags
        "a: 1\na: 2\n",  # duplicate keys
        "<<: {a: 1}\n",  # merge keys
        "a: " + "[" * 300 + "]" * 300 + "\n",  # deep nesting
        "a: [1, 2\n",  # malformed
        "a:\n" + "".join(f"  - {i}\n" for i in range(20_001)),  # over the value budget
        "? [a]\n: b\n",  # a complex key
        "a: 2019-02-30\n",  # an impossible date
    ]:
        assert _load_plain(text, 2) is None, text


scalars = st.one_of(
    st.text(max_size=20), st.integers(), st.booleans(), st.none(), st.floats(allow_nan=False), st.dates()
)
documents = st.recursive(
    scalars,
    lambda children: st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=10), children, max_size=4),
    max_leaves=25,
)


@settings(max_examples=300, deadline=None)
@given(documents, st.booleans())
def test_any_dumped_document_agrees(document, flow):
    same_as_event_composer(yaml.safe_dump({"root": document}, default_flow_style=flow, allow_unicode=True))


def test_a_full_postmortem_agrees():
    text = render_postmortem(front_matter()).split("---\n")[1]
    assert same_as_event_composer(text)


def test_reading_postmortems_leaves_nothing_for_the_garbage_collector(tmp_path):
    # The build freezes the garbage collector's view of everything alive after parsing (plugin.on_files), so a
    # reference cycle made while parsing would never be freed: 60 MB at 5,000 postmortems, once.
    import gc

    import corpus
    from pmkb.core.catalog import SourceRef, check_bytes
    from pmkb.core.taxonomy import load_taxonomy

    corpus.generate(tmp_path, 30, seed=5)
    paths = sorted(p for p in (tmp_path / "postmortems").glob("*/*.md") if p.parent.name != "runbooks")
    paths += sorted((REPO / "postmortems").glob("*/*.md"))
    taxonomy, _, _ = load_taxonomy(None, tmp_path, "mkdocs.yml")
    variants = [
        lambda raw: raw,  # the fast path
        lambda raw: raw.replace(b"\ntitle:", b"\nfirst: &a 1\nsecond: *a\ntitle:", 1),  # the event composer
        lambda raw: raw.replace(b"\ntitle:", b"\ntitle: [\n", 1),  # a YAML error
        lambda raw: raw.replace(b"\nseverity:", b"\nseverity: SEV9\nx:", 1),  # validation errors
    ]
    gc.collect()
    gc.disable()
    try:
        for variant in variants:
            for path in paths:
                check_bytes(variant(path.read_bytes()), SourceRef(path.name, path, path.name), taxonomy)
        assert gc.collect() == 0
    finally:
        gc.enable()


timestamp_like = st.one_of(
    st.from_regex(
        r"\A[0-9]{4}-[0-9]{1,2}-[0-9]{1,2}"
        r"([Tt ][0-9]{1,2}:[0-9]{2}:[0-9]{2}(\.[0-9]{0,8})?( ?(Z|[+-][0-9]{1,2}(:[0-9]{2})?))?)?\Z"
    ),
    st.datetimes(timezones=st.timezones() | st.none()).map(lambda moment: moment.isoformat(timespec="seconds")),
    st.dates().map(str),
)


@settings(max_examples=500, deadline=None)
@given(timestamp_like)
def test_common_timestamps_are_read_exactly_as_pyyaml_reads_them(text):
    from pmkb.core.yaml_positions import common_timestamp

    fast = common_timestamp(text)
    if fast is None:
        return  # left to PyYAML
    expected = yaml.safe_load(f"value: {text}\n")["value"]
    assert (type(fast), fast, getattr(fast, "tzinfo", None)) == (
        type(expected),
        expected,
        getattr(expected, "tzinfo", None),
    )


def test_the_common_timestamp_shapes_take_the_short_way():
    from pmkb.core.yaml_positions import common_timestamp

    for text in ("2024-05-01", "2024-05-01T09:30:00Z", "2024-05-01T09:30:00+02:00", "2024-05-01T23:59:59-05:30"):
        assert common_timestamp(text) is not None, text
    for text in ("2024-5-1", "2024-05-01 09:30:00", "2024-05-01T09:30:00.5Z", "2019-02-30", "2024-05-01T24:00:00Z"):
        assert common_timestamp(text) is None, text


@pytest.mark.parametrize("levels", [33, 999, 1_000, 1_001, 5_000, 100_000])
@pytest.mark.parametrize("opener, closer", [("[", "]"), ("{a: ", "}")])
def test_deep_flow_nesting_gets_pmkbs_own_diagnostic_whatever_libyaml_stops_at(levels, opener, closer):
    # Some libyaml releases (PyYAML 6.0.4) stop at 1,000 levels while scanning ahead, before the composer sees
    # level 33; the author must still get pmkb's message there, on either side of that limit.
    text = "title: " + opener * levels + "x" + closer * levels + "\n"
    value, diagnostics = load_yaml(text, "p.md", 2)
    assert value is None
    [diagnostic] = diagnostics
    assert diagnostic.message == "front matter is nested deeper than 32 levels"
    assert (diagnostic.line, diagnostic.column) == (2, 8 + 31 * len(opener))  # the 33rd level, under the root
