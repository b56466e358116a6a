"""GET /v1/codes/hcpcs and GET /v1/codes/icd10: code search, e.g. for autocomplete."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from dme_portal.api.deps import AnyPrincipal
from dme_portal.api.pagination import decode_key_cursor, encode_key_cursor
from dme_portal.api.problem import problem_responses
from dme_portal.codes import hcpcs, icd10
from dme_portal.codes import search as code_search
from dme_portal.codes.schemas import HcpcsCodePage, HcpcsCodeRead, Icd10CodePage, Icd10CodeRead
from dme_portal.errors import InvalidInput

router = APIRouter(prefix="/codes", tags=["codes"])

_MATCHING = (
    "A code prefix, case-insensitive (`e210` finds E2100 to E2104; for ICD-10-CM the dot is "
    "optional: `g800` finds G80.0), or words that must all appear in the description "
    "(`glucose monitor`). One character is a code prefix only."
)
Q = Annotated[str, Query(min_length=1, max_length=100, description=_MATCHING)]
Cursor = Annotated[
    str | None, Query(max_length=200, description="`next_cursor` from the previous page.")
]
Limit = Annotated[int, Query(ge=1, le=100, description="Results per page.")]


def _query(q: str) -> str:
    if not q.strip():
        raise InvalidInput("q", "must contain a code or a word, not only spaces")
    return q


@router.get(
    "/hcpcs",
    operation_id="searchHcpcsCodes",
    response_model=HcpcsCodePage,
    responses=problem_responses(401, 422),
    summary="Search the HCPCS Level II codes the hub accepts",
)
def search_hcpcs(
    _principal: AnyPrincipal, q: Q, cursor: Cursor = None, limit: Limit = 25
) -> HcpcsCodePage:
    """Current DME codes (CMS's latest quarter and Medi-Cal's T codes), in code order.

    Only these codes are accepted on request lines and in rulesets.
    """
    after = decode_key_cursor(cursor, pattern=hcpcs.HCPCS_PATTERN) if cursor else None
    page = code_search.hcpcs_index().search(_query(q), after=after, limit=limit)
    return HcpcsCodePage(
        items=[HcpcsCodeRead.model_validate(entry) for entry in page.items],
        next_cursor=encode_key_cursor(page.last_code) if page.last_code else None,
    )


@router.get(
    "/icd10",
    operation_id="searchIcd10Codes",
    response_model=Icd10CodePage,
    responses=problem_responses(401, 422),
    summary="Search ICD-10-CM diagnosis codes",
)
def search_icd10(
    _principal: AnyPrincipal,
    q: Q,
    cursor: Cursor = None,
    limit: Limit = 25,
    billable_only: Annotated[
        bool, Query(description="Leave out headers such as `G80` (not billable).")
    ] = False,
) -> Icd10CodePage:
    """Billable codes and the headers above them (`billable` tells which), in code order.

    A request's diagnoses take billable codes only; ruleset diagnosis prefixes may be headers.
    """
    after = decode_key_cursor(cursor, pattern=icd10.ICD10_PATTERN) if cursor else None
    page = code_search.icd10_index().search(
        _query(q), after=after, limit=limit, where=_billable if billable_only else None
    )
    return Icd10CodePage(
        items=[Icd10CodeRead.model_validate(code) for code in page.items],
        next_cursor=encode_key_cursor(page.last_code) if page.last_code else None,
    )


def _billable(code: code_search.Icd10Code) -> bool:
    return code.billable
