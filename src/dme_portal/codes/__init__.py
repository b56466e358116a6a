"""Medical code sets: HCPCS Level II, ICD-10-CM, NPI and Medi-Cal CIN."""
