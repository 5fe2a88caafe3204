"""docs/reliability.md prints the matrices of auth, validate, deploy, unit, publish and quality-gate: every row is a test here, with the same exit
(the test step's matrix is held by test_testjob_faults.py)."""

from __future__ import annotations

import re

import pytest

from tests.faults import test_bad_config, test_deploy_faults, test_exit_classes
from tests.publish import test_redaction, test_sonar_faults
from tests.faults.test_testjob_faults import DOC, _table_rows

# Each row of the page: the test that holds it (its asserted exit code is the one given here).
ROWS = {
    "bundleops auth": {
        "host without a scheme": (test_exit_classes.test_a_bad_host_is_bad_input, 2),
        "plain http host": (test_exit_classes.test_a_bad_host_is_bad_input, 2),
        "host with a space": (test_exit_classes.test_a_bad_host_is_bad_input, 2),
        "password in the host": (test_exit_classes.test_a_password_in_the_host_is_bad_input_and_never_printed, 2),
        "wrong client secret": (test_exit_classes.test_a_wrong_client_secret_is_bad_input_from_every_step, 2),
        "closed port": (test_exit_classes.test_a_host_nothing_answers_at_is_bad_input_at_once, 2),
        "name that does not resolve": (test_exit_classes.test_a_host_nothing_answers_at_is_bad_input_at_once, 2),
        "not a workspace": (test_exit_classes.test_a_server_that_is_not_a_workspace_is_bad_input_at_once, 2),
        "TLS to a plain server": (test_exit_classes.test_tls_to_something_that_is_not_a_workspace_is_bad_input_at_once, 2),
        "workspace unavailable": (test_exit_classes.test_a_workspace_that_stays_unavailable_is_an_external_failure_after_the_retry_window, 3),
        "SCIM Me 500 persists": (test_exit_classes.test_a_server_error_on_scim_me_is_retried_and_is_not_an_authentication_failure, 3),
        "SCIM Me 502 once": (test_exit_classes.test_one_server_error_on_scim_me_is_retried_away, 0),
    },
    "bundleops validate": {
        "YAML alias bomb": (test_deploy_faults.test_a_yaml_alias_bomb_cannot_hang_validate, 3),
        "SIGTERM to validate": (test_deploy_faults.test_sigterm_to_validate_stops_the_cli_at_once, 3),
        "bad bundleops.yml": (test_bad_config.test_each_mistake_exits_2_with_file_key_and_fix, 2),
    },
    "bundleops deploy": {
        "lock delete 500 once": (test_deploy_faults.test_one_500_on_the_lock_delete_is_said_and_the_lock_removed, 3),
        "lock delete 500 persists": (test_deploy_faults.test_a_lock_nobody_can_delete_is_reported_with_the_command_that_clears_it, 3),
        "SIGTERM to the step": (test_deploy_faults.test_a_signal_during_the_deploy_stops_the_cli_and_leaves_no_lock, 3),
        "SIGINT to the step": (test_deploy_faults.test_a_signal_during_the_deploy_stops_the_cli_and_leaves_no_lock, 3),
        "SIGTERM to the group": (test_deploy_faults.test_a_signal_during_the_deploy_stops_the_cli_and_leaves_no_lock, 3),
    },
    "bundleops unit": {
        "secret in a failing assertion": (test_redaction.test_secret_in_a_failing_assertion_stays_out_of_every_file_and_the_console, 1),
    },
    "bundleops publish": {
        "scanner on a stalled server": (test_sonar_faults.test_publish_stops_a_scanner_stuck_on_a_stalled_server, 3),
        "scanner limit from bundleops.yml": (test_sonar_faults.test_the_scanner_limit_comes_from_bundleops_yml, 3),
    },
    "bundleops quality-gate": {
        "stalled server": (test_sonar_faults.test_a_stalled_server_ends_the_gate_at_its_timeout, 3),
        "stall after answering": (test_sonar_faults.test_a_server_that_stalls_after_answering_still_ends_at_the_timeout, 3),
        "unreachable server": (test_sonar_faults.test_an_unreachable_server_is_retried_with_backoff_then_named, 3),
        "outage longer than the timeout": (test_sonar_faults.test_an_outage_longer_than_the_timeout_stops_retrying_at_it, 3),
        "unexpected JSON shape": (test_sonar_faults.test_an_unexpected_json_shape_is_a_named_error, 3),
        "answer that is not JSON": (test_sonar_faults.test_an_answer_that_is_not_json_is_a_named_error, 2),
    },
}


@pytest.mark.parametrize("step", sorted(ROWS))
def test_the_page_prints_each_case_with_its_exit(step: str) -> None:
    rows = {re.sub(r"`", "", cells[0]): cells for cells in _table_rows(DOC.read_text(encoding="utf-8"), step)}
    assert sorted(rows) == sorted(ROWS[step]), f"docs/reliability.md ## {step} and this file list different cases"
    for name, (test, code) in ROWS[step].items():
        assert rows[name][2] == str(code), f"{step} / {name}: the page says exit {rows[name][2]}, the test {code}"
