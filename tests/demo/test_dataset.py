"""Tests for the deterministic demo dataset."""

import dataclasses
from collections import Counter, defaultdict
from datetime import date, timedelta

import pytest

from dme_portal.codes import cin, icd10, npi
from dme_portal.demo import dataset
from dme_portal.demo.dataset import (
    CONDITIONS,
    DemoContract,
    DemoDataset,
    DemoEnrollment,
    build_dataset,
)

TODAY = date(2026, 3, 15)


@pytest.fixture(scope="module")
def demo() -> DemoDataset:
    return build_dataset(today=TODAY)


def _covers(period_from: date, period_to: date | None, day: date) -> bool:
    return period_from <= day and (period_to is None or day <= period_to)


def _age_in_years(birth: date, on: date) -> int:
    return on.year - birth.year - ((on.month, on.day) < (birth.month, birth.day))


def _current_in_network(contracts: tuple[DemoContract, ...], day: date) -> list[DemoContract]:
    return [
        c
        for c in contracts
        if c.status == "in_network" and _covers(c.effective_from, c.effective_to, day)
    ]


class TestDeterminism:
    def test_same_arguments_give_equal_datasets(self, demo: DemoDataset) -> None:
        assert build_dataset(today=TODAY) == demo
        assert build_dataset(today=TODAY, seed=7) == build_dataset(today=TODAY, seed=7)

    def test_other_seed_gives_other_members(self, demo: DemoDataset) -> None:
        other = build_dataset(today=TODAY, seed=7)
        assert [m.cin for m in other.members] != [m.cin for m in demo.members]

    def test_member_count_is_honoured(self) -> None:
        assert len(build_dataset(today=TODAY, member_count=25).members) == 25
        assert build_dataset(today=TODAY, member_count=0).members == ()
        with pytest.raises(ValueError, match="member_count"):
            build_dataset(today=TODAY, member_count=-1)

    def test_dataset_is_immutable(self, demo: DemoDataset) -> None:
        with pytest.raises(dataclasses.FrozenInstanceError):
            demo.members[0].cin = "00000000A"  # type: ignore[misc]

    def test_no_secret_fields(self) -> None:
        classes = [
            getattr(dataset, name)
            for name in dir(dataset)
            if name.startswith("Demo") and dataclasses.is_dataclass(getattr(dataset, name))
        ]
        assert len(classes) == 9
        names = {f.name for cls in classes for f in dataclasses.fields(cls)}
        assert not {n for n in names if "password" in n or "secret" in n or "token" in n}


class TestPlanAndNetworks:
    def test_plan_is_caloptima(self, demo: DemoDataset) -> None:
        assert [(p.code, p.name) for p in demo.plans] == [("caloptima", "CalOptima Health")]
        assert demo.plan == demo.plans[0]

    def test_networks(self, demo: DemoDataset) -> None:
        codes = [n.code for n in demo.networks]
        assert len(codes) >= 6
        assert len(set(codes)) == len(codes)
        assert codes[:2] == ["choc", "altamed"]
        assert all(n.standard_hours == 72 for n in demo.networks)
        assert sorted(n.expedited_hours for n in demo.networks).count(24) == 1
        assert {n.expedited_hours for n in demo.networks} == {24, 72}


class TestVendorsAndContracts:
    def test_vendors_have_unique_valid_npis(self, demo: DemoDataset) -> None:
        npis = [v.npi for v in demo.vendors]
        assert len(npis) == 12
        assert len(set(npis)) == len(npis)
        assert all(npi.is_valid_npi(value) for value in npis)

    def test_vendor_npis_do_not_depend_on_seed(self, demo: DemoDataset) -> None:
        assert build_dataset(today=TODAY, seed=99).vendors == demo.vendors

    def test_contracts_reference_known_vendors_and_networks(self, demo: DemoDataset) -> None:
        npis = {v.npi for v in demo.vendors}
        codes = {n.code for n in demo.networks}
        for contract in demo.contracts:
            assert contract.vendor_npi in npis
            assert contract.network_code in codes
            assert contract.status in {"in_network", "out_of_network"}
            assert contract.effective_to is None or contract.effective_from <= contract.effective_to

    def test_every_vendor_is_in_network_with_two_to_five_networks(self, demo: DemoDataset) -> None:
        current = Counter(c.vendor_npi for c in _current_in_network(demo.contracts, TODAY))
        assert {v.npi for v in demo.vendors} == set(current)
        assert all(2 <= n <= 5 for n in current.values()), current

    def test_every_network_has_an_in_network_vendor(self, demo: DemoDataset) -> None:
        covered = {c.network_code for c in _current_in_network(demo.contracts, TODAY)}
        assert covered == {n.code for n in demo.networks}

    def test_contracts_are_mixed(self, demo: DemoDataset) -> None:
        expired = [c for c in demo.contracts if c.effective_to and c.effective_to < TODAY]
        assert expired
        assert any(c.status == "out_of_network" for c in demo.contracts)

    def test_one_contract_row_per_vendor_and_network(self, demo: DemoDataset) -> None:
        pairs = Counter((c.vendor_npi, c.network_code) for c in demo.contracts)
        assert max(pairs.values()) == 1


class TestMembers:
    def test_cins_are_unique_and_valid(self, demo: DemoDataset) -> None:
        cins = [m.cin for m in demo.members]
        assert len(cins) == 300
        assert len(set(cins)) == len(cins)
        assert all(cin.is_valid_cin(value) for value in cins)

    def test_members_are_children(self, demo: DemoDataset) -> None:
        ages = [_age_in_years(m.birth_date, TODAY) for m in demo.members]
        assert all(m.birth_date < TODAY for m in demo.members)
        assert min(ages) == 0
        assert max(ages) == 20

    def test_diagnoses_come_from_the_condition_table(self, demo: DemoDataset) -> None:
        for member in demo.members:
            assert member.diagnoses, member
            assert set(member.diagnoses) <= set(CONDITIONS[member.condition]), member
            assert len(set(member.diagnoses)) == len(member.diagnoses), member

    def test_several_conditions_are_represented(self, demo: DemoDataset) -> None:
        assert len({m.condition for m in demo.members}) >= 8

    def test_ccs_eligibility_is_at_most_one_year(self, demo: DemoDataset) -> None:
        for member in demo.members:
            assert member.birth_date <= member.ccs_eligible_from <= member.ccs_eligible_to
            assert member.ccs_eligible_to - member.ccs_eligible_from <= timedelta(days=365)

    def test_ccs_redeterminations_spread_and_a_few_lapsed(self, demo: DemoDataset) -> None:
        lapsed = [m for m in demo.members if m.ccs_eligible_to < TODAY]
        assert 1 <= len(lapsed) <= 0.1 * len(demo.members)
        months = {m.ccs_eligible_to.month for m in demo.members}
        assert len(months) == 12


class TestConditions:
    def test_every_condition_code_is_billable(self) -> None:
        codes = {code for codes in CONDITIONS.values() for code in codes}
        assert [code for code in sorted(codes) if not icd10.is_billable(code)] == []
        assert all(icd10.is_well_formed(code) for code in codes)

    @pytest.mark.parametrize(
        ("condition", "code"),
        [
            ("cerebral_palsy", "G80.0"),
            ("spina_bifida", "N31.9"),
            ("cystic_fibrosis", "E84.0"),
            ("type_1_diabetes", "E10.9"),
            ("tracheostomy_dependence", "Z93.0"),
            ("gastrostomy_dependence", "Z93.1"),
            ("spinal_muscular_atrophy", "G12.0"),
            ("muscular_dystrophy", "G71.01"),
        ],
    )
    def test_condition_includes_expected_code(self, condition: str, code: str) -> None:
        assert code in CONDITIONS[condition]


class TestEnrollments:
    @staticmethod
    def _by_member(demo: DemoDataset) -> dict[str, list[DemoEnrollment]]:
        grouped: dict[str, list[DemoEnrollment]] = defaultdict(list)
        for enrollment in demo.enrollments:
            grouped[enrollment.cin].append(enrollment)
        return grouped

    def test_every_member_is_enrolled_today_and_for_180_days(self, demo: DemoDataset) -> None:
        grouped = self._by_member(demo)
        assert set(grouped) == {m.cin for m in demo.members}
        for member_cin, rows in grouped.items():
            for day in (TODAY, TODAY + timedelta(days=180)):
                covering = [e for e in rows if _covers(e.effective_from, e.effective_to, day)]
                assert len(covering) == 1, (member_cin, day)

    def test_enrollment_starts_after_birth(self, demo: DemoDataset) -> None:
        births = {m.cin: m.birth_date for m in demo.members}
        assert all(births[e.cin] <= e.effective_from for e in demo.enrollments)

    def test_about_ten_percent_moved_from_another_network(self, demo: DemoDataset) -> None:
        moved = [rows for rows in self._by_member(demo).values() if len(rows) > 1]
        assert 0.05 * len(demo.members) <= len(moved) <= 0.15 * len(demo.members)
        for prior, current in moved:
            assert prior.effective_to is not None
            assert prior.effective_from <= prior.effective_to < current.effective_from
            assert prior.network_code != current.network_code

    def test_every_network_has_members(self, demo: DemoDataset) -> None:
        current = {e.network_code for e in demo.enrollments if e.effective_to is None}
        assert current == {n.code for n in demo.networks}


class TestUsersAndClients:
    def test_usernames_are_unique(self, demo: DemoDataset) -> None:
        usernames = [u.username for u in demo.users]
        assert len(set(usernames)) == len(usernames)

    @pytest.mark.parametrize(
        ("username", "role", "org_kind", "org_code"),
        [
            ("reviewer.choc", "reviewer", "network", "choc"),
            ("md.choc", "medical_director", "network", "choc"),
            ("admin.choc", "network_admin", "network", "choc"),
            ("coordinator.choc", "care_coordinator", "network", "choc"),
            ("reviewer.altamed", "reviewer", "network", "altamed"),
            ("md.altamed", "medical_director", "network", "altamed"),
            ("admin.altamed", "network_admin", "network", "altamed"),
            ("coordinator.altamed", "care_coordinator", "network", "altamed"),
            ("coordinator.plan", "care_coordinator", "plan", "caloptima"),
            ("plan.admin", "plan_admin", "plan", "caloptima"),
        ],
    )
    def test_expected_staff_user(
        self, demo: DemoDataset, username: str, role: str, org_kind: str, org_code: str
    ) -> None:
        user = next(u for u in demo.users if u.username == username)
        assert (user.role, user.org_kind, user.org_code) == (role, org_kind, org_code)

    def test_one_vendor_user_per_vendor(self, demo: DemoDataset) -> None:
        vendor_users = [u for u in demo.users if u.role == "vendor"]
        assert sorted(u.org_code for u in vendor_users) == sorted(v.npi for v in demo.vendors)
        assert all(
            u.org_kind == "vendor" and u.username.startswith("vendor.") for u in vendor_users
        )
        harbor = next(v for v in demo.vendors if v.name == "Harbor Pediatric Mobility")
        assert next(u for u in demo.users if u.username == "vendor.harbor").org_code == harbor.npi

    def test_user_org_codes_exist(self, demo: DemoDataset) -> None:
        orgs = {
            "vendor": {v.npi for v in demo.vendors},
            "network": {n.code for n in demo.networks},
            "plan": {p.code for p in demo.plans},
        }
        for user in demo.users:
            assert user.org_code in orgs[user.org_kind], user
            assert user.display_name.strip(), user

    def test_clients_per_vendor_and_network(self, demo: DemoDataset) -> None:
        ids = [c.client_id for c in demo.clients]
        assert len(set(ids)) == len(ids)
        by_role = Counter(c.role for c in demo.clients)
        assert by_role == {
            "vendor_client": len(demo.vendors),
            "network_client": len(demo.networks),
            "plan_client": 1,
        }
        assert {c.org_code for c in demo.clients if c.role == "vendor_client"} == {
            v.npi for v in demo.vendors
        }
        assert {c.org_code for c in demo.clients if c.role == "network_client"} == {
            n.code for n in demo.networks
        }
