"""The codebook is complete and consistent: every item has both languages, a domain, a scale, years."""

import pytest

from helpers.io.codebook import load_codebook, normalise_label


def test_items_complete(codebook):
    assert len(codebook.items) >= 15
    for code, item in codebook.items.items():
        assert item.text["ru"] and item.text["en"], code
        assert item.domain in codebook.domains
        assert set(item.years) <= {2018, 2019, 2020, 2021} and item.years
    facets = {codebook.items[i].facet for i in codebook.items_in_domain("ethics")}
    for facet in ["appearance", "discipline", "communication ethics", "absence of conflicts", "confidentiality",
                  "tolerance and respect for customs and traditions"]:
        assert facet in facets
    assert {"competence", "quality", "covid"} <= set(codebook.domains)
    assert all(min(codebook.items[i].years) == 2020 for i in codebook.items_in_domain("covid"))
    assert [i for i, it in codebook.items.items() if it.reverse] == ["eth_lateness", "eth_conflicts"]


def test_labels_map_in_both_languages_and_codes(codebook):
    for item in codebook.item_codes:
        scale = codebook.scale_of(item)
        for code, entry in {**scale.codes, **scale.missing}.items():
            assert codebook.answer_code(item, entry["ru"]) == code
            assert codebook.answer_code(item, entry["en"].upper()) == code
            assert codebook.answer_code(item, f"  {code} ") == code
    assert codebook.answer_code("qual_overall", "прекрасно") is None
    assert codebook.missing_kind("qual_overall", 8) == "dont_know"


def test_spellings_are_unambiguous(codebook):
    """No spelling may map to two codes (which would silently change an answer)."""
    for scale in codebook.scales.values():
        seen = {}
        for code, entry in {**scale.codes, **scale.missing}.items():
            for s in [entry["ru"], entry["en"], *entry.get("aliases", []), str(code)]:
                key = normalise_label(s)
                assert seen.setdefault(key, code) == code, (scale.name, s)


def test_custom_codebook_path_and_bad_scale(tmp_path):
    bad = tmp_path / "cb.yaml"
    bad.write_text("scales: {}\ndomains: {d: {label: {ru: x, en: x}}}\n"
                   "items: {i1: {domain: d, scale: nope, years: [2018], text: {ru: a, en: b}}}\n", encoding="utf-8")
    with pytest.raises(ValueError, match="unknown scale"):
        load_codebook(bad)
