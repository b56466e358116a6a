"""Code search indexes: by code prefix or by words, in code order, paged by the last code."""

import pytest

from dme_portal.codes import icd10
from dme_portal.codes.search import CodeIndex, hcpcs_index, hcpcs_search_text, icd10_index


def _codes(index: CodeIndex[str], q: str) -> list[str]:
    return index.search(q).items


@pytest.fixture
def small() -> CodeIndex[str]:
    rows = [
        ("G80.1", "Spastic diplegic cerebral palsy"),
        ("G80", "Cerebral palsy"),
        ("G80.0", "Spastic quadriplegic cerebral palsy"),
        ("G81", "Hemiplegia and hemiparesis"),
        ("Q05.9", "Spina bifida, unspecified"),
    ]
    return CodeIndex((code, text, code) for code, text in rows)


class TestCodeIndex:
    def test_results_are_in_code_order(self, small: CodeIndex[str]) -> None:
        assert _codes(small, "palsy") == ["G80", "G80.0", "G80.1"]

    @pytest.mark.parametrize("q", ["g80", "G80", " g80 "])
    def test_code_prefix_is_case_insensitive(self, small: CodeIndex[str], q: str) -> None:
        assert _codes(small, q) == ["G80", "G80.0", "G80.1"]

    @pytest.mark.parametrize("q", ["g800", "G80.0"])
    def test_the_dot_is_optional_in_a_code_prefix(self, small: CodeIndex[str], q: str) -> None:
        assert _codes(small, q) == ["G80.0"]

    def test_every_word_must_appear(self, small: CodeIndex[str]) -> None:
        assert _codes(small, "SPASTIC palsy") == ["G80.0", "G80.1"]
        assert _codes(small, "spastic hemiplegia") == []
        assert _codes(small, "palsy palsy") == ["G80", "G80.0", "G80.1"]

    def test_one_character_is_a_code_prefix_only(self, small: CodeIndex[str]) -> None:
        assert _codes(small, "q") == ["Q05.9"]
        assert _codes(small, ".") == []

    def test_blank_finds_nothing(self, small: CodeIndex[str]) -> None:
        assert _codes(small, "   ") == []

    def test_paging_by_last_code_walks_everything_once(self, small: CodeIndex[str]) -> None:
        first = small.search("g", limit=2)
        assert (first.items, first.last_code) == (["G80", "G80.0"], "G80.0")
        second = small.search("g", limit=2, after=first.last_code)
        assert (second.items, second.last_code) == (["G80.1", "G81"], None)

    def test_a_full_last_page_has_no_next(self, small: CodeIndex[str]) -> None:
        assert small.search("palsy", limit=3).last_code is None

    def test_where_filters_before_paging(self, small: CodeIndex[str]) -> None:
        page = small.search("g", limit=2, where=lambda code: "." in code)
        assert (page.items, page.last_code) == (["G80.0", "G80.1"], None)


class TestHcpcsSearch:
    @pytest.mark.parametrize(
        ("q", "expected"),
        [
            ("e210", {"E2100", "E2101", "E2102", "E2103", "E2104"}),
            ("glucose", {"E2102", "E2103", "A4238", "A4239", "E0607", "A4253", "E2100"}),
            ("cgm", {"E2102", "E2103", "A4238", "A4239", "A9276", "A9277", "A9278"}),
            ("wheelchair tray", {"E0950"}),
            ("pediatric brief", {"T4529", "T4530"}),
            ("underpad", {"T4537", "T4540", "T4541", "T4542"}),
        ],
    )
    def test_finds(self, q: str, expected: set[str]) -> None:
        found = {entry.code for entry in hcpcs_index().search(q, limit=100).items}
        assert expected <= found, expected - found

    def test_e210_finds_exactly_the_e210x_codes(self) -> None:
        page = hcpcs_index().search("e210", limit=100)
        assert [e.code for e in page.items] == ["E2100", "E2101", "E2102", "E2103", "E2104"]

    def test_abbreviations_in_short_descriptors_are_searchable(self) -> None:
        found = {e.code for e in hcpcs_index().search("wheelchair lateral", limit=100).items}
        assert {"E0953", "E0956"} <= found  # "W/c lateral thigh/knee sup", "W/c lateral trunk..."

    def test_search_text_keeps_both_descriptions(self) -> None:
        entry = next(e for e in hcpcs_index().search("A4238", limit=1).items)
        text = hcpcs_search_text(entry)
        assert "Adju cgm supply allowance" in text
        assert "Supply allowance for adjunctive" in text
        assert "continuous glucose monitor" in text


class TestIcd10Search:
    def test_billable_codes_and_headers(self) -> None:
        items = icd10_index().search("cerebral palsy", limit=100).items
        by_code = {c.code: c for c in items}
        assert by_code["G80"].billable is False
        assert by_code["G80.0"].billable is True
        assert by_code["G80.0"].description == "Spastic quadriplegic cerebral palsy"

    def test_the_index_matches_the_validator(self) -> None:
        for code in icd10_index().search("q05", limit=100).items:
            assert code.billable is icd10.is_billable(code.code), code

    def test_codes_are_unique(self) -> None:
        codes = [code for code, _, _ in icd10.all_codes()]
        assert len(codes) == len(set(codes)) > 90_000
        assert codes == sorted(codes)
