"""Code search API schemas."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field

from dme_portal.codes.hcpcs import CATEGORIES

_NEXT_CURSOR = "Pass as `cursor` for the next page; null at the end."


class HcpcsCodeRead(BaseModel):
    """A current HCPCS Level II code the hub accepts on a request line."""

    model_config = ConfigDict(
        from_attributes=True,
        json_schema_extra={
            "examples": [
                {
                    "code": "E2102",
                    "description": "Adjunctive, nonimplanted continuous glucose monitor (CGM) "
                    "or receiver",
                    "category": "diabetes",
                }
            ]
        },
    )

    code: str = Field(description="One letter and four digits.", examples=["E2102"])
    description: str = Field(
        description="The hub's long description where it has one, else the code set's "
        "abbreviated short descriptor (e.g. `W/c lateral thigh/knee sup`).",
        examples=["Adjunctive, nonimplanted continuous glucose monitor (CGM) or receiver"],
    )
    category: str = Field(
        description=f"DME category, one of: {', '.join(sorted(CATEGORIES))}.",
        examples=["diabetes"],
    )


class HcpcsCodePage(BaseModel):
    """One page of HCPCS search results, in code order."""

    items: list[HcpcsCodeRead] = Field(description="The codes on this page.")
    next_cursor: str | None = Field(description=_NEXT_CURSOR)


class Icd10CodeRead(BaseModel):
    """An ICD-10-CM diagnosis code or a header (category) above billable codes."""

    model_config = ConfigDict(
        from_attributes=True,
        json_schema_extra={
            "examples": [
                {
                    "code": "G80.0",
                    "description": "Spastic quadriplegic cerebral palsy",
                    "billable": True,
                }
            ]
        },
    )

    code: str = Field(description="Dotted ICD-10-CM code.", examples=["G80.0"])
    description: str = Field(
        description="The code's description.", examples=["Spastic quadriplegic cerebral palsy"]
    )
    billable: bool = Field(
        description="True for a billable (leaf) code, the only kind a request's diagnoses "
        "accept; false for a header such as `G80`, usable as a ruleset diagnosis prefix.",
        examples=[True],
    )


class Icd10CodePage(BaseModel):
    """One page of ICD-10-CM search results, in code order."""

    items: list[Icd10CodeRead] = Field(description="The codes on this page.")
    next_cursor: str | None = Field(description=_NEXT_CURSOR)
