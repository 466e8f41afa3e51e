def test_report_and_read(client, factory):
    factory.site("HQ")
    me = factory.user("dana", "dispatcher", ["HQ"])
    r = client.post(
        "/api/v1/incidents",
        json={"title": "Door forced", "site": "HQ", "place": {"zone": "LOBBY"}},
        headers=me.headers,
    )
    assert r.status_code == 201, r.text
    body = r.json()
    assert body["number"].startswith("INC-")
    assert body["status"] == "new"
    r = client.get("/api/v1/incidents", headers=me.headers)
    assert r.status_code == 200, r.text
    assert r.json()["items"][0]["number"] == body["number"]
