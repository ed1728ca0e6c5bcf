"""Fuzzing the REST API from its own OpenAPI document (schemathesis): valid and invalid
parameters for every operation, with sign-in off (local) and on (API token), must
never produce a 5xx: bad input is a 400, everything else an answer.

Bounded: a fixed number of generated requests per operation and mode, against the
tiny dataset, so it runs in seconds and the same way every time (derandomized).
"""

from __future__ import annotations

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from hypothesis.errors import Unsatisfiable
from schemathesis.generation import GenerationMode

from dashapp.config import load_settings
from dashapp.web import auth as auth_mod
from dashapp.web.app import create_app

EXAMPLES = 25
SECRET = "fuzz-test-secret-0123456789-abcdefghijklmnopqrs"


def fuzz(app, headers: dict[str, str]) -> list[str]:
    """Run every operation through positive and negative generation; return the failures."""
    schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", app.server,
                                            headers=headers)
    failures: list[str] = []
    seen = 0
    for result in schema.get_all_operations():
        operation = result.ok()
        for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE):

            @settings(max_examples=EXAMPLES, deadline=None, derandomize=True, database=None,
                      suppress_health_check=list(HealthCheck))
            @given(case=operation.as_strategy(generation_mode=mode))
            def run(case) -> None:
                nonlocal seen
                response = case.call(headers=headers)
                seen += 1
                if response.status_code >= 500 and response.status_code != 503:
                    failures.append(f"{response.status_code} {case.as_curl_command()}")
                elif response.status_code == 503:  # only when the data is really unreachable
                    failures.append(f"503 with the database up: {case.as_curl_command()}")

            try:
                run()
            except Unsatisfiable:  # nothing can be invalid about an operation without inputs
                assert mode == GenerationMode.NEGATIVE and not operation.query, operation.path
    assert seen >= 6 * EXAMPLES, seen  # every operation was exercised
    return failures


def test_fuzz_local_mode(tiny_engine, tmp_path):
    app = create_app(load_settings({"PULSE_HOME": str(tmp_path)}), engine=tiny_engine)
    assert fuzz(app, {}) == []


@pytest.mark.slow
def test_fuzz_with_sign_in_and_a_token(tiny_engine, tmp_path):
    auth_mod.add_user(tiny_engine, "fuzzer", "fuzzing password", replace=True)
    _, token = auth_mod.create_token(tiny_engine, "fuzzer")
    app = create_app(load_settings({"PULSE_HOME": str(tmp_path), "PULSE_AUTH": "required",
                                    "PULSE_SECRET_KEY": SECRET,
                                    "PULSE_API_RATE_LIMIT": "0"}), engine=tiny_engine)
    assert fuzz(app, {"Authorization": f"Bearer {token}"}) == []
