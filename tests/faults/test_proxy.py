"""The fault proxy does what its rules say, to the requests they name, and records it."""

from __future__ import annotations

from typing import Any, Iterator

import pytest
import requests

from tests.support.faultproxy import BrokenBody, FaultProxy, Reset, Rule, Stall, Status, unauthorized_after

DISCOVERY = "/oidc/.well-known/oauth-authorization-server"


@pytest.fixture
def proxy(local_workspace: Any) -> Iterator[FaultProxy]:
    with FaultProxy(local_workspace.host) as started:
        yield started


def _get(proxy: FaultProxy, path: str = DISCOVERY, timeout: float = 10) -> requests.Response:
    return requests.get(f"{proxy.host}{path}", timeout=timeout)


def test_without_rules_it_forwards_requests_and_the_sdk_works_through_it(proxy: FaultProxy, local_workspace: Any) -> None:
    from databricks.sdk import WorkspaceClient

    client = WorkspaceClient(host=proxy.host, client_id=local_workspace.client_id, client_secret=local_workspace.client_secret, auth_type="oauth-m2m")
    assert client.current_user.me().user_name == local_workspace.client_id
    assert proxy.requests >= 2 and proxy.injected == []


def test_a_status_applies_to_the_nth_to_mth_matching_request_only(proxy: FaultProxy) -> None:
    proxy.rules.append(Rule("GET", r"/oidc/.*", Status(500), first=2, last=3))
    statuses = [_get(proxy).status_code for _ in range(4)]
    assert statuses == [200, 500, 500, 200]
    assert [fault.describe() for fault in proxy.injected] == [f"GET {DISCOVERY}: 500"] * 2


def test_the_json_error_has_the_api_shape_and_the_html_one_is_a_page(proxy: FaultProxy) -> None:
    proxy.rules += [Rule("GET", r"/oidc/.*", Status(503, retry_after=1), last=1), Rule("*", r"/oidc/.*", Status(502, html=True))]
    first, second = _get(proxy), _get(proxy)
    assert (first.status_code, first.json()["error_code"], first.headers["Retry-After"]) == (503, "TEMPORARILY_UNAVAILABLE", "1")
    assert second.status_code == 502 and second.headers["Content-Type"] == "text/html" and "<h1>502</h1>" in second.text


def test_other_methods_and_paths_pass(proxy: FaultProxy) -> None:
    proxy.rules.append(Rule("POST", r"/oidc/.*", Status(500)))
    assert _get(proxy).status_code == 200
    assert _get(proxy, "/.well-known/databricks-config").status_code == 200
    assert proxy.injected == []


def test_reset_breaks_the_connection(proxy: FaultProxy) -> None:
    proxy.rules.append(Rule("GET", r"/oidc/.*", Reset()))
    with pytest.raises(requests.ConnectionError):
        _get(proxy)


def test_a_stall_outlasts_a_client_timeout(proxy: FaultProxy) -> None:
    proxy.rules.append(Rule("GET", r"/oidc/.*", Stall(5), last=1))
    with pytest.raises(requests.ReadTimeout):
        _get(proxy, timeout=0.5)
    assert _get(proxy).status_code == 200


def test_a_broken_body_is_not_json(proxy: FaultProxy) -> None:
    proxy.rules.append(Rule("GET", r"/oidc/.*", BrokenBody(), after_upstream=True))
    answer = _get(proxy)
    assert answer.status_code == 200
    with pytest.raises(ValueError):
        answer.json()
    assert answer.text and answer.text in requests.get(f"{proxy.upstream.geturl()}{DISCOVERY}", timeout=10).text


def test_unauthorized_after_n_requests(proxy: FaultProxy) -> None:
    proxy.rules.append(unauthorized_after(2, path=r"/oidc/.*"))
    assert [_get(proxy).status_code for _ in range(4)] == [200, 200, 401, 401]


def test_a_seeded_probability_repeats_the_same_faults(local_workspace: Any) -> None:
    def faulted(seed: int) -> list[int]:
        with FaultProxy(local_workspace.host, [Rule("GET", r"/oidc/.*", Status(500), probability=0.5)], seed=seed) as proxy:
            return [_get(proxy).status_code for _ in range(12)]

    first = faulted(7)
    assert first == faulted(7) and 200 in first and 500 in first
