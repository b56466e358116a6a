"""Tests for the code-set helpers: HCPCS catalog and modifiers, ICD-10-CM, NPI and CIN."""

import csv
import os
import subprocess
import sys
from collections import Counter
from importlib import resources
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from dme_portal.codes import cin, hcpcs, icd10, npi

# No example database: the test run must not write into the repository.
_SETTINGS = settings(database=None, max_examples=200, deadline=None)


def _catalog_rows() -> list[dict[str, str]]:
    text = resources.files("dme_portal.codes").joinpath("data", "hcpcs_dme.csv").read_text("utf-8")
    return list(csv.DictReader(text.splitlines()))


class TestHcpcsCatalog:
    def test_header_is_code_description_category(self) -> None:
        text = resources.files("dme_portal.codes").joinpath("data", "hcpcs_dme.csv")
        header = text.read_text("utf-8").splitlines()[0]
        assert header == "code,description,category"

    def test_every_row_is_well_formed_and_categorised(self) -> None:
        for row in _catalog_rows():
            assert hcpcs.is_well_formed(row["code"]), row
            assert row["category"] in hcpcs.CATEGORIES, row
            assert row["description"].strip() == row["description"] != "", row

    def test_codes_are_unique_in_the_file(self) -> None:
        counts = Counter(row["code"] for row in _catalog_rows())
        assert [code for code, n in counts.items() if n > 1] == []

    def test_size_and_categories_used(self) -> None:
        # The curated file describes the codes the hub knows best; the catalog is larger.
        rows = _catalog_rows()
        assert 120 <= len(rows) <= 300
        assert {row["category"] for row in rows} <= hcpcs.CATEGORIES
        assert len(hcpcs.all_codes()) > 2 * len(rows)

    @pytest.mark.parametrize(
        ("code", "category"),
        [
            ("L1960", "orthotics"),
            ("L2035", "orthotics"),
            ("L0450", "orthotics"),
            ("L3808", "orthotics"),
            ("L5301", "prosthetics"),
            ("K0005", "wheelchairs"),
            ("K0861", "wheelchairs"),
            ("E1161", "wheelchairs"),
            ("E1234", "wheelchairs"),
            ("E2294", "seating"),
            ("E2603", "seating"),
            ("E1028", "seating"),
            ("E8000", "mobility"),
            ("E0637", "mobility"),
            ("E0570", "respiratory"),
            ("E0483", "respiratory"),
            ("A7520", "respiratory"),
            ("E0465", "respiratory"),
            ("B4088", "enteral"),
            ("B9002", "enteral"),
            ("A4253", "diabetes"),
            ("E0784", "diabetes"),
            ("A4351", "urological"),
            ("T4529", "incontinence"),
            ("A4554", "incontinence"),
            ("E0300", "hospital_beds"),
            ("E0328", "hospital_beds"),
            ("T5001", "bathing_toileting"),
            ("E0630", "lifts"),
            ("E0619", "monitoring"),
            ("E0445", "monitoring"),
        ],
    )
    def test_known_code_has_expected_category(self, code: str, category: str) -> None:
        entry = hcpcs.lookup(code)
        assert entry is not None
        assert entry.code == code
        assert entry.category == category

    def test_lookup_is_case_and_space_insensitive(self) -> None:
        assert hcpcs.lookup(" e0570 ") == hcpcs.lookup("E0570")
        assert hcpcs.lookup("E0570") == hcpcs.HcpcsCode(
            "E0570", "Nebulizer, with compressor", "respiratory", "Nebulizer with compression"
        )

    # K0553/K0554 are curated but retired (2023-04-01): not current, so not known.
    @pytest.mark.parametrize("code", ["Z9999", "E057", "", "E0570NU", "99213", "K0553", "K0554"])
    def test_lookup_of_unknown_or_malformed_code_is_none(self, code: str) -> None:
        assert hcpcs.lookup(code) is None

    def test_catalog_is_cached_and_read_only(self) -> None:
        codes = hcpcs.all_codes()
        assert hcpcs.all_codes() is codes
        with pytest.raises(TypeError):
            codes["X0000"] = hcpcs.HcpcsCode("X0000", "x", "other", "x")  # type: ignore[index]

    def test_entries_are_immutable(self) -> None:
        entry = hcpcs.lookup("E0570")
        assert entry is not None
        with pytest.raises(AttributeError):
            entry.category = "other"  # type: ignore[misc]


class TestHcpcsFormat:
    @pytest.mark.parametrize(
        ("code", "expected"),
        [
            ("E0570", True),
            ("L1960", True),
            ("T4529", True),
            ("e0570", False),
            ("E057", False),
            ("E05700", False),
            ("0E570", False),
            ("E0570\n", False),
            (" E0570", False),
            ("E\uff10570", False),  # fullwidth digit zero
            ("", False),
        ],
    )
    def test_is_well_formed(self, code: str, expected: bool) -> None:
        assert hcpcs.is_well_formed(code) is expected

    @pytest.mark.parametrize(
        ("modifier", "expected"),
        [
            ("NU", True),
            ("RR", True),
            ("UE", True),
            ("KX", True),
            ("LT", True),
            ("RT", True),
            ("RB", True),
            ("BA", True),
            ("KH", True),
            ("KI", True),
            ("KJ", True),
            ("MS", True),
            ("GA", True),
            ("GY", True),
            ("GZ", True),
            ("EY", True),
            ("KS", True),
            ("KF", True),
            ("50", True),
            ("52", True),
            ("59", True),
            ("nu", True),
            (" RR ", True),
            ("ZZ", False),
            ("N", False),
            ("NUU", False),
            ("", False),
        ],
    )
    def test_is_known_modifier(self, modifier: str, expected: bool) -> None:
        assert hcpcs.is_known_modifier(modifier) is expected

    def test_every_known_modifier_matches_the_pattern_and_has_a_meaning(self) -> None:
        assert len(hcpcs.KNOWN_MODIFIERS) >= 20
        for modifier, meaning in hcpcs.KNOWN_MODIFIERS.items():
            assert hcpcs.MODIFIER_PATTERN.fullmatch(modifier), modifier
            assert meaning.strip(), modifier


class TestIcd10:
    @pytest.mark.parametrize(
        ("raw", "expected"),
        [
            ("G80.0", "G80.0"),
            ("g800", "G80.0"),
            (" e10.65 ", "E10.65"),
            ("E1065", "E10.65"),
            ("R32", "R32"),
            ("z930", "Z93.0"),
            ("S72001A", "S72.001A"),
        ],
    )
    def test_normalize(self, raw: str, expected: str) -> None:
        assert icd10.normalize(raw) == expected

    @pytest.mark.parametrize(
        ("code", "expected"),
        [
            ("G80.0", True),
            ("R32", True),
            ("S72.001A", True),
            ("E10.65", True),
            ("g80.0", False),
            ("G800", False),
            ("G80.", False),
            ("G80.00000", False),
            ("U07.1", False),
            ("180.0", False),
            ("G8", False),
            ("", False),
        ],
    )
    def test_is_well_formed(self, code: str, expected: bool) -> None:
        assert icd10.is_well_formed(code) is expected

    @pytest.mark.parametrize(
        ("code", "expected"),
        [
            ("G80.0", True),
            ("g801", True),
            ("E10.65", True),
            ("Z93.0", True),
            ("R32", True),
            ("G80", False),  # category, has children
            ("E10", False),
            ("R13.1", False),  # subcategory, has children
            ("G80.7", False),  # well formed, not in the code set
            ("Q99.99", False),
            ("not a code", False),
            ("", False),
        ],
    )
    def test_is_billable(self, code: str, expected: bool) -> None:
        assert icd10.is_billable(code) is expected

    def test_describe(self) -> None:
        assert icd10.describe("G80.0") == "Spastic quadriplegic cerebral palsy"
        assert icd10.describe("z931") == "Gastrostomy status"
        assert icd10.describe("G80") == "Cerebral palsy"
        assert icd10.describe("G80.7") is None
        assert icd10.describe("???") is None

    def test_import_does_not_load_the_code_set_until_warm(self) -> None:
        src = Path(icd10.__file__).resolve().parents[2]
        script = (
            "import sys\n"
            "from dme_portal.codes import icd10\n"
            "print('simple_icd_10_cm' in sys.modules)\n"
            "icd10.warm()\n"
            "print('simple_icd_10_cm' in sys.modules)\n"
        )
        env = {**os.environ, "PYTHONPATH": str(src)}
        result = subprocess.run(
            [sys.executable, "-c", script], capture_output=True, text=True, env=env, check=True
        )
        assert result.stdout.split() == ["False", "True"]

    @_SETTINGS
    @given(st.from_regex(r"[A-TV-Z][0-9][0-9A-Z][0-9A-Z]{0,4}", fullmatch=True))
    def test_normalize_of_undotted_code_is_well_formed_and_idempotent(self, raw: str) -> None:
        canonical = icd10.normalize(raw.lower())
        assert icd10.is_well_formed(canonical)
        assert icd10.normalize(canonical) == canonical
        assert canonical.replace(".", "") == raw


class TestNpi:
    @pytest.mark.parametrize(
        ("value", "expected"),
        [
            ("1234567893", True),  # the worked example in the CMS check-digit spec
            ("1234567890", False),
            ("1234567839", False),  # adjacent transposition
            ("123456789", False),
            ("12345678931", False),
            ("123456789a", False),
            (" 1234567893", False),
            ("1234567893\n", False),
            ("\uff11234567893", False),  # fullwidth digit one
            ("", False),
        ],
    )
    def test_is_valid_npi(self, value: str, expected: bool) -> None:
        assert npi.is_valid_npi(value) is expected

    def test_with_check_digit_matches_cms_example(self) -> None:
        assert npi.with_check_digit("123456789") == "1234567893"

    @pytest.mark.parametrize(
        "first9", ["12345678", "1234567890", "12345678x", "", "\uff1123456789"]
    )
    def test_with_check_digit_rejects_bad_base(self, first9: str) -> None:
        with pytest.raises(ValueError, match="9 ASCII digits"):
            npi.with_check_digit(first9)

    @_SETTINGS
    @given(st.text(alphabet="0123456789", min_size=9, max_size=9))
    def test_generated_npi_is_valid(self, first9: str) -> None:
        value = npi.with_check_digit(first9)
        assert value[:9] == first9
        assert npi.is_valid_npi(value)

    @_SETTINGS
    @given(
        st.text(alphabet="0123456789", min_size=9, max_size=9),
        st.integers(min_value=0, max_value=9),
        st.integers(min_value=1, max_value=9),
    )
    def test_changing_any_one_digit_invalidates(
        self, first9: str, position: int, delta: int
    ) -> None:
        value = npi.with_check_digit(first9)
        changed = str((int(value[position]) + delta) % 10)
        mutated = value[:position] + changed + value[position + 1 :]
        assert not npi.is_valid_npi(mutated)


class TestCin:
    @pytest.mark.parametrize(
        ("value", "expected"),
        [
            ("91234567A", True),
            ("00000000Z", True),
            ("91234567a", False),
            ("912345678", False),
            ("9123456A", False),
            ("912345678A", False),
            ("A91234567", False),
            ("91234567A\n", False),
            (" 91234567A", False),
            ("", False),
        ],
    )
    def test_is_valid_cin(self, value: str, expected: bool) -> None:
        assert cin.is_valid_cin(value) is expected
