"""The HCPCS catalog: every current CMS DME code, Medi-Cal T codes, curated and range categories."""

import csv
from importlib import resources
from importlib.resources.abc import Traversable
from pathlib import Path

import pytest

from dme_portal.codes import hcpcs
from dme_portal.rules.ruleset import RuleSet, consistency_problems

DATA = resources.files("dme_portal.codes").joinpath("data")
CMS_FILE = "hcpcs-level2-dme-2026-04.csv"
SHARED_COPY = Path("/work/shared/data") / CMS_FILE


def _rows(name: str) -> list[dict[str, str]]:
    return list(csv.DictReader(DATA.joinpath(name).read_text("utf-8").splitlines()))


def _load(folder: Traversable) -> dict[str, hcpcs.HcpcsCode]:
    """The catalog as all_codes() builds it, with the CMS file taken from ``folder``."""
    return hcpcs.load_catalog(
        [hcpcs.newest_cms_file(folder), DATA.joinpath(hcpcs.MEDI_CAL_FILE)],
        curated=DATA.joinpath(hcpcs.CURATED_FILE),
        ranges=DATA.joinpath(hcpcs.RANGES_FILE),
    )


class TestSources:
    def test_the_cms_file_is_the_one_from_cms(self) -> None:
        rows = _rows(CMS_FILE)
        assert len(rows) == 2555
        assert list(rows[0]) == ["code", "short_descriptor", "opps_status_indicator"]
        assert hcpcs.newest_cms_file(DATA).name == CMS_FILE

    @pytest.mark.skipif(not SHARED_COPY.exists(), reason="the shared data folder is not here")
    def test_the_packaged_cms_file_is_byte_for_byte_the_shared_one(self) -> None:
        assert DATA.joinpath(CMS_FILE).read_bytes() == SHARED_COPY.read_bytes()

    def test_every_cms_and_medi_cal_code_is_known_and_nothing_else(self) -> None:
        sourced = {r["code"] for r in _rows(CMS_FILE)} | {
            r["code"] for r in _rows(hcpcs.MEDI_CAL_FILE)
        }
        assert set(hcpcs.all_codes()) == sourced
        assert len(hcpcs.all_codes()) == 2555 + 25

    def test_medi_cal_incontinence_t_codes_t4521_to_t4544(self) -> None:
        t_codes = [r["code"] for r in _rows(hcpcs.MEDI_CAL_FILE)]
        assert t_codes == [f"T{n}" for n in range(4521, 4545)] + ["T5001"]
        for code in t_codes[:-1]:
            entry = hcpcs.lookup(code)
            assert entry is not None
            assert entry.category == "incontinence"
        assert hcpcs.lookup("T5001") == hcpcs.HcpcsCode(
            "T5001",
            "Positioning seat for persons with special orthopedic needs",
            "bathing_toileting",
            "Positioning seat",
        )

    def test_retired_curated_codes_are_not_known(self) -> None:
        # K0553/K0554 were replaced by A4239/E2103 on 2023-04-01 and are not in the CMS file.
        assert hcpcs.curated_codes() - set(hcpcs.all_codes()) == {"K0553", "K0554"}


class TestDescriptions:
    @pytest.mark.parametrize(
        ("code", "short"),
        [
            ("E2102", "Adju cgm receiver/monitor"),
            ("E2103", "Non-adju cgm receiver/mon"),
            ("A4238", "Adju cgm supply allowance"),
            ("A4239", "Non-adju cgm supply allow"),
            ("E0950", "Tray"),
            ("E2402", "Neg press wound therapy pump"),
        ],
    )
    def test_curated_long_description_wins_and_the_short_descriptor_is_kept(
        self, code: str, short: str
    ) -> None:
        entry = hcpcs.lookup(code)
        assert entry is not None
        assert entry.short_descriptor == short
        assert len(entry.description) > len(short)

    def test_cgm_descriptions_say_glucose(self) -> None:
        for code in ("E2102", "E2103", "A4238", "A4239"):
            entry = hcpcs.lookup(code)
            assert entry is not None
            assert "continuous glucose monitor" in entry.description.lower(), code
            assert entry.category == "diabetes"

    @pytest.mark.parametrize(
        ("code", "shown"),
        [("E0953", "W/c lateral thigh/knee sup"), ("E2104", "Glucose monitor w cartridge")],
    )
    def test_without_a_curated_description_the_short_descriptor_is_shown(
        self, code: str, shown: str
    ) -> None:
        entry = hcpcs.lookup(code)
        assert entry is not None
        assert entry.description == entry.short_descriptor == shown

    def test_every_entry_has_a_description_and_a_known_category(self) -> None:
        for entry in hcpcs.all_codes().values():
            assert entry.description.strip(), entry
            assert entry.short_descriptor.strip(), entry
            assert entry.category in hcpcs.CATEGORIES, entry


class TestRangeCategories:
    @pytest.mark.parametrize(
        ("code", "category"),
        [
            ("L0112", "orthotics"),
            ("L4631", "orthotics"),
            ("L5010", "prosthetics"),
            ("L8500", "prosthetics"),
            ("K0002", "wheelchairs"),
            ("K0813", "wheelchairs"),
            ("E1002", "wheelchairs"),
            ("E2310", "wheelchairs"),
            ("E0953", "wheelchairs"),
            ("E2606", "seating"),
            ("E0100", "mobility"),
            ("K0800", "mobility"),
            ("E0639", "lifts"),
            ("E0467", "respiratory"),
            ("A7030", "respiratory"),
            ("E0601", "respiratory"),
            ("B4149", "enteral"),
            ("B9004", "enteral"),
            ("A4226", "diabetes"),
            ("E2104", "diabetes"),
            ("A4312", "urological"),
            ("A4520", "incontinence"),
            ("A4553", "incontinence"),
            ("A4361", "ostomy"),
            ("A6021", "wound_care"),
            ("E0301", "hospital_beds"),
            ("E0186", "hospital_beds"),
            ("E0248", "bathing_toileting"),
            ("E0625", "lifts"),
            ("E0616", "monitoring"),
            ("A9500", "other"),  # radiopharmaceutical: in Addendum B, not DME
            ("E0720", "other"),
        ],
    )
    def test_codes_without_a_curated_row_take_their_range_category(
        self, code: str, category: str
    ) -> None:
        assert code not in hcpcs.curated_codes()
        entry = hcpcs.lookup(code)
        assert entry is not None
        assert entry.category == category

    def test_ranges_agree_with_the_curated_categories_but_one(self) -> None:
        table = hcpcs.parse_ranges(DATA.joinpath(hcpcs.RANGES_FILE).read_text("utf-8"))
        disagree = {
            code
            for code, entry in hcpcs.all_codes().items()
            if code in hcpcs.curated_codes() and hcpcs.category_for(code, table) != entry.category
        }
        assert disagree == {"E1028"}  # swing-away hardware: curated as seating

    def test_narrowest_range_wins_whatever_the_order(self) -> None:
        text = "first,last,category,covers\nA4335,A4335,incontinence,x\nA4310,A4360,urological,y\n"
        table = hcpcs.parse_ranges(text)
        assert hcpcs.category_for("A4335", table) == "incontinence"
        assert hcpcs.category_for("A4336", table) == "urological"
        assert hcpcs.category_for("A4361", table) == "other"

    @pytest.mark.parametrize(
        "rows",
        [
            "A4300,A4340,urological,x\nA4330,A4360,ostomy,y",  # partial overlap
            "A4300,A4340,urological,x\nA4300,A4340,ostomy,y",  # same range twice
            "A4340,A4300,urological,x",  # backwards
            "A4300,E4340,urological,x",  # two letters
            "A4300,A4340,kitchen,x",  # unknown category
            "A430,A4340,urological,x",  # malformed
        ],
    )
    def test_a_bad_range_table_fails_to_load(self, rows: str) -> None:
        with pytest.raises(ValueError, match="ranges"):
            hcpcs.parse_ranges("first,last,category,covers\n" + rows + "\n")


class TestNewQuarter:
    """A newer CMS file replaces the old one with no code change."""

    def _quarter(self, folder: Path, name: str, rows: list[str]) -> None:
        text = "code,short_descriptor,opps_status_indicator\r\n" + "".join(
            f"{row}\r\n" for row in rows
        )
        (folder / name).write_text(text, encoding="utf-8", newline="")

    def test_the_newest_file_decides_which_codes_exist(self, tmp_path: Path) -> None:
        (tmp_path / CMS_FILE).write_bytes(DATA.joinpath(CMS_FILE).read_bytes())
        # 2026-07 (invented): E2102 and E0570 are gone, L4640 and E2199 are new.
        self._quarter(
            tmp_path,
            "hcpcs-level2-dme-2026-07.csv",
            [
                "L4640,Ko new hinge prefab ots,Y",
                "E2199,Implant cgm reader,Y",
                "E2103,Non-adju cgm receiver/mon,Y",
                'A4239,"Non-adju cgm supply allow",Y',
            ],
        )
        (tmp_path / "notes.csv").write_text("ignored\n")

        assert hcpcs.newest_cms_file(tmp_path).name == "hcpcs-level2-dme-2026-07.csv"
        catalog = _load(tmp_path)

        assert catalog["L4640"] == hcpcs.HcpcsCode(
            "L4640", "Ko new hinge prefab ots", "orthotics", "Ko new hinge prefab ots"
        )
        assert catalog["E2199"].category == "other"  # outside every range
        assert "E2102" not in catalog
        assert "E0570" not in catalog  # curated, but no longer current
        assert catalog["E2103"].category == "diabetes"  # curated still wins
        assert catalog["T4521"].category == "incontinence"  # Medi-Cal codes stay
        assert len(catalog) == 4 + 25

    def test_a_folder_without_a_cms_file_fails(self, tmp_path: Path) -> None:
        (tmp_path / "hcpcs-level2-dme-latest.csv").write_text("code,short_descriptor\n")
        with pytest.raises(ValueError, match=r"no hcpcs-level2-dme-YYYY-MM\.csv"):
            hcpcs.newest_cms_file(tmp_path)

    @pytest.mark.parametrize(
        ("rows", "message"),
        [
            (["E2199,,Y"], "empty short descriptor"),
            (["E219,Thing,Y"], "malformed HCPCS code"),
            (["E2199,Thing,Y", "E2199,Thing,Y"], "duplicate HCPCS code"),
            (["T4521,Adult size brief/diaper sm,Y"], "also in another code file"),
        ],
    )
    def test_a_bad_cms_file_fails_to_load(
        self, tmp_path: Path, rows: list[str], message: str
    ) -> None:
        self._quarter(tmp_path, "hcpcs-level2-dme-2026-07.csv", rows)
        with pytest.raises(ValueError, match=message):
            _load(tmp_path)

    def test_a_file_with_another_header_fails_to_load(self, tmp_path: Path) -> None:
        (tmp_path / "hcpcs-level2-dme-2026-07.csv").write_text("hcpcs,desc\nE2199,Thing\n")
        with pytest.raises(ValueError, match="header"):
            _load(tmp_path)


class TestRulesetsTakeCurrentCodes:
    def test_cgm_and_incontinence_codes_pass_ruleset_validation(self) -> None:
        doc = RuleSet.model_validate(
            {
                "quantity_limits": [
                    {"hcpcs": code, "max_units_per_month": 1}
                    for code in ("E2102", "E2103", "A4238", "A4239", "T4544", "E0950", "E2402")
                ],
                "documentation": [{"category": "wound_care", "documents": ["prescription"]}],
            },
            context={"shape_only": True},
        )
        assert consistency_problems(doc) == []

    def test_a_retired_code_does_not(self) -> None:
        doc = RuleSet.model_validate(
            {"quantity_limits": [{"hcpcs": "K0553", "max_units_per_month": 1}]},
            context={"shape_only": True},
        )
        assert consistency_problems(doc) == [
            ("quantity_limits[0]", "K0553 is not a DME HCPCS code known to the hub")
        ]
