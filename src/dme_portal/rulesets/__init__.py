"""Network rulesets as stored data: drafts, published versions, CSAG assignments."""
