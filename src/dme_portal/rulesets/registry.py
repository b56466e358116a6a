"""Compiled rulesets, cached per (network, version): versions are immutable, so never stale."""

from __future__ import annotations

import uuid
from collections import OrderedDict
from typing import Any

from dme_portal.rules.compile import CompiledRuleSet, compile_ruleset
from dme_portal.rules.ruleset import RuleSet

_MAX = 256
_cache: OrderedDict[tuple[uuid.UUID, int], CompiledRuleSet] = OrderedDict()


def compiled(network_id: uuid.UUID, version: int, document: dict[str, Any]) -> CompiledRuleSet:
    """The compiled form of a published version, compiled once per process."""
    key = (network_id, version)
    found = _cache.get(key)
    if found is not None:
        _cache.move_to_end(key)
        return found
    result = compile_ruleset(RuleSet.model_validate(document), version=version)
    _cache[key] = result
    if len(_cache) > _MAX:
        _cache.popitem(last=False)
    return result
