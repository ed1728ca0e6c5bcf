"""Locust users that sign in and change filters on the dashboard, as a browser would.

Each simulated user opens the page (login form, page, Dash layout and callback
graph), then, every 2-8 s (LOCUST_THINK), changes the filters: it sets the URL query (the
page's single source of truth, see dashapp/page/urlstate.py) and fires the Dash
callbacks that this change triggers, in dependency order, the way Dash's
renderer does: every callback whose inputs changed, then those whose inputs
those callbacks changed, each at most once per change. The callback graph is
read from `/_dash-dependencies`, so this follows the page as it evolves.

Besides each request, one synthetic "CHAIN filter change" entry records the
time from the change to the last callback's answer: what a user waits for.

Run by bench/loadtest.py; alone:
    LOCUST_USERNAME=... LOCUST_PASSWORD=... locust -f bench/locustfile.py --host URL
"""

from __future__ import annotations

import json
import os
import random
import re
import time
from typing import Any

from locust import HttpUser, between, task

STATES = ["SP", "RJ", "MG", "RS", "PR", "SC", "BA", "DF", "GO", "ES", "PE", "CE", "PA"]
REGIONS = ["N", "NE", "CO", "SE", "S"]
PAYMENT_TYPES = ["credit_card", "boleto", "voucher", "debit_card"]
CATEGORIES = ["bed_bath_table", "health_beauty", "sports_leisure", "computers_accessories",
              "furniture_decor", "housewares", "watches_gifts", "telephony", "toys"]
RANGES = [(None, None), ("2020-01-01", "2020-12-31"), ("2021-01-01", "2021-06-30"),
          ("2019-07-01", "2020-06-30"), ("2020-03-01", "2020-05-31"), ("2021-01-01", None)]


def random_search(rng: random.Random) -> str:
    """A filter combination a person might pick: a few dimensions at a time."""
    parts: list[str] = []
    start, end = rng.choice(RANGES)
    if start:
        parts.append(f"start={start}")
    if end:
        parts.append(f"end={end}")
    roll = rng.random()
    if roll < 0.45:
        parts.append("state=" + ",".join(sorted(rng.sample(STATES, rng.choice((1, 1, 2))))))
    elif roll < 0.6:
        parts.append("region=" + rng.choice(REGIONS))
    if rng.random() < 0.3:
        parts.append("category=" + rng.choice(CATEGORIES))
    if rng.random() < 0.2:
        parts.append("payment_type=" + rng.choice(PAYMENT_TYPES))
    return "?" + "&".join(parts) if parts else ""


def _walk(node: Any, props: dict[tuple[str, str], Any]) -> None:
    """Collect (id, prop) -> value from a Dash layout tree."""
    if isinstance(node, list):
        for child in node:
            _walk(child, props)
        return
    if not isinstance(node, dict):
        return
    if "props" in node and "type" in node:
        p = node["props"] or {}
        cid = p.get("id")
        if isinstance(cid, str):
            for key, value in p.items():
                if key != "children" or not isinstance(value, dict | list):
                    props[(cid, key)] = value
        for value in p.values():
            if isinstance(value, dict | list):
                _walk(value, props)


def _outputs(spec: str) -> list[dict[str, str]]:
    parts = spec[2:-2].split("...") if spec.startswith("..") else [spec]
    out = []
    for part in parts:
        cid, prop = part.rsplit(".", 1)
        out.append({"id": cid, "property": prop})
    return out


THINK = tuple(float(x) for x in os.environ.get("LOCUST_THINK", "2,8").split(","))


class DashUser(HttpUser):
    # a person looks at the charts between two changes (seconds, LOCUST_THINK="min,max")
    wait_time = between(THINK[0], THINK[1])

    def on_start(self) -> None:
        self.rng = random.Random()
        username = os.environ.get("LOCUST_USERNAME", "")
        if username:
            page = self.client.get("/login", name="GET /login").text
            csrf = re.search(r'name="csrf" value="([^"]+)"', page).group(1)
            with self.client.post("/login", name="POST /login", allow_redirects=False,
                                  data={"username": username, "csrf": csrf, "next": "/",
                                        "password": os.environ.get("LOCUST_PASSWORD", "")},
                                  headers={"Origin": self.host}, catch_response=True) as r:
                if r.status_code != 303:
                    r.failure(f"sign-in failed: {r.status_code}")
        self.client.get("/", name="GET /")
        layout = self.client.get("/_dash-layout", name="GET /_dash-layout").json()
        deps = self.client.get("/_dash-dependencies", name="GET /_dash-dependencies").json()
        self.props: dict[tuple[str, str], Any] = {}
        _walk(layout, self.props)
        # callbacks with pattern-matching ids ({"type": ...}) need clicks; filter changes don't
        self.callbacks = [cb for cb in deps if "{" not in cb["output"]
                          and not any(isinstance(i["id"], dict) or "{" in str(i["id"])
                                      for i in cb["inputs"] + cb.get("state", []))
                          and not cb.get("clientside_function")]
        self.props[("url", "pathname")] = "/"
        self.props[("url", "search")] = ""
        self.props[("refresh", "n_intervals")] = 0
        # what the page does on load: every callback with all inputs present fires
        self.run_chain({key for cb in self.callbacks for key in self._inputs(cb)}, "page load")

    @staticmethod
    def _inputs(cb: dict) -> list[tuple[str, str]]:
        return [(i["id"], i["property"]) for i in cb["inputs"]]

    def _call(self, cb: dict, changed: set[tuple[str, str]]) -> set[tuple[str, str]]:
        outputs = _outputs(cb["output"])
        payload = {
            "output": cb["output"],
            "outputs": outputs if cb["output"].startswith("..") else outputs[0],
            "inputs": [{"id": i, "property": p, "value": self.props.get((i, p))}
                       for i, p in self._inputs(cb)],
            "state": [{"id": s["id"], "property": s["property"],
                       "value": self.props.get((s["id"], s["property"]))}
                      for s in cb.get("state", [])],
            "changedPropIds": [f"{i}.{p}" for i, p in self._inputs(cb) if (i, p) in changed],
        }
        first = f"{outputs[0]['id']}.{outputs[0]['property'].split('@')[0]}"
        name = f"callback {first}" + (f" (+{len(outputs) - 1})" if len(outputs) > 1 else "")
        with self.client.post("/_dash-update-component", json=payload, name=name,
                              headers={"Origin": self.host}, catch_response=True) as r:
            if r.status_code == 204:  # PreventUpdate: nothing changed
                r.success()
                return set()
            if r.status_code != 200:
                r.failure(f"{r.status_code}: {r.text[:200]}")
                return set()
            body = r.json().get("response", {})
        new: set[tuple[str, str]] = set()
        for cid, values in body.items():
            for prop, value in values.items():
                key = (cid, prop.split("@")[0])
                if not (isinstance(value, dict) and "__dash_patch_update" in value):
                    self.props[key] = value
                new.add(key)
        return new

    def run_chain(self, changed: set[tuple[str, str]], label: str) -> None:
        started = time.perf_counter()
        fired: set[str] = set()
        pending = set(changed)
        while pending:
            ready = [cb for cb in self.callbacks if cb["output"] not in fired
                     and pending & set(self._inputs(cb))]
            if not ready:
                break
            triggered = pending
            pending = set()
            for cb in ready:
                fired.add(cb["output"])
                pending |= self._call(cb, triggered)
        self.environment.events.request.fire(
            request_type="CHAIN", name=label, response_time=(time.perf_counter() - started)
            * 1000, response_length=len(fired), exception=None, context={})

    @task
    def change_filters(self) -> None:
        search = random_search(self.rng)
        if search == self.props.get(("url", "search")):
            search = ""
        self.props[("url", "search")] = search
        self.run_chain({("url", "search")}, "filter change")


if __name__ == "__main__":  # pragma: no cover - a debugging aid
    print(json.dumps([random_search(random.Random(i)) for i in range(5)], indent=1))
