"""The codebook is complete and consistent: every item has both languages, a domain, a scale, years."""

import pytest

from helpers.io.codebook import load_codebook, normalise_label


def test_items_complete(codebook):
    assert len(codebook.items) >= 15
    for code, item in codebook.items.items():
        assert item.text["ru"] and item.text["en"], code
        assert item.domain in codebook.domains
        assert item.first_year >= 2018 and item.last_year is None, code  # no item has been dropped yet
    facets = {codebook.items[i].facet for i in codebook.items_in_domain("ethics")}
    for facet in ["appearance", "discipline", "communication ethics", "absence of conflicts", "confidentiality",
                  "tolerance and respect for customs and traditions"]:
        assert facet in facets
    assert {"competence", "quality", "covid"} <= set(codebook.domains)
    assert all(codebook.items[i].first_year == 2020 for i in codebook.items_in_domain("covid"))
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
                   "items: {i1: {domain: d, scale: nope, from: 2018, text: {ru: a, en: b}}}\n", encoding="utf-8")
    with pytest.raises(ValueError, match="unknown scale"):
        load_codebook(bad)


def test_years_are_open_ended(codebook):
    """A year after the last one the codebook was written for asks the same items: no closed list of years."""
    assert codebook.items_for_year(2022) == codebook.items_for_year(2021) == codebook.item_codes
    assert codebook.items_for_year(2040) == codebook.item_codes
    assert set(codebook.items_for_year(2019)) == set(codebook.item_codes) - set(codebook.items_in_domain("covid"))
    assert codebook.items_for_year(2017) == []


def _one_item(tmp_path, asked: str):
    p = tmp_path / "cb.yaml"
    p.write_text("scales: {s: {codes: {0: {ru: нет, en: no}, 1: {ru: да, en: yes}}}}\n"
                 "domains: {d: {label: {ru: x, en: x}}}\n"
                 f"items: {{i1: {{domain: d, scale: s, {asked}, text: {{ru: a, en: b}}}}}}\n", encoding="utf-8")
    return p


def test_a_dropped_item_is_asked_until_its_last_year(tmp_path):
    cb = load_codebook(_one_item(tmp_path, "from: 2019, until: 2020"))
    assert [y for y in range(2017, 2024) if cb.items_for_year(y)] == [2019, 2020]
    assert cb.items["i1"].asked([2018, 2019, 2020, 2021]).tolist() == [False, True, True, False]


@pytest.mark.parametrize("asked, message", [("years: [2018, 2019]", "not a list of years"),
                                            ("from: 2021, until: 2019", "before 'from: 2021'")])
def test_a_closed_year_list_or_an_inverted_span_is_refused(tmp_path, asked, message):
    with pytest.raises(ValueError, match=message):
        load_codebook(_one_item(tmp_path, asked))
