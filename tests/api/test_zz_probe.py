from __future__ import annotations
import httpx, json
from dme_portal.auth.roles import Role
from fixtures.factories import World, auth_headers, request_body

async def test_probe(client: httpx.AsyncClient, world: World, settings) -> None:
    h = auth_headers(settings, world.principal(Role.VENDOR))
    out = {}
    for label, val in [("digits", "1793750400"), ("dt", "2026-11-03T00:00:00"), ("dtz", "2026-11-03T00:00:00Z"), ("int", 20261103), ("compact", "20261103")]:
        b = request_body(world)
        b["lines"] = [dict(b["lines"][0], start_date=val)]
        r = await client.post("/v1/authorization-requests", json=b, headers=h)
        out[label] = (r.status_code, r.text[:300])
    r = await client.delete("/v1/authorization-requests", headers=h)
    out["405"] = (r.status_code, dict(r.headers), r.text)
    r = await client.put("/v1/authorization-requests/00000000-0000-0000-0000-000000000000", headers=h)
    out["405b"] = (r.status_code, dict(r.headers), r.text)
    r = await client.post("/v1/auth/token", data={"grant_type": "authorization_code"})
    out["grant"] = (r.status_code, r.text)
    r = await client.get("/v1/authorization-requests/not-a-uuid", headers=h)
    out["baduuid"] = (r.status_code, r.text)
    r = await client.post("/v1/authorization-requests", content=b'[1]', headers={**h, "content-type": "application/json"})
    out["arr"] = (r.status_code, r.text)
    r = await client.post("/v1/authorization-requests", content=b'', headers={**h, "content-type": "application/json"})
    out["empty"] = (r.status_code, r.text)
    open("/tmp/probe/out.json", "w").write(json.dumps(out, indent=1))
