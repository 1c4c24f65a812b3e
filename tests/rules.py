"""The built-in checks by rule id, for detection tests: ``from tests.rules import INJ001``."""

from __future__ import annotations

from pytest_nocode.checks import test_authentication as authentication
from pytest_nocode.checks import test_commands as commands
from pytest_nocode.checks import test_configuration as configuration
from pytest_nocode.checks import test_connectors as connectors
from pytest_nocode.checks import test_encryption as encryption
from pytest_nocode.checks import test_exports as exports
from pytest_nocode.checks import test_injection as injection
from pytest_nocode.checks import test_inventory as inventory
from pytest_nocode.checks import test_logging as logging_checks
from pytest_nocode.checks import test_permissions as permissions
from pytest_nocode.checks import test_platform_audit as platform_audit
from pytest_nocode.checks import test_secrets as secrets

AUTH001 = authentication.test_entry_points_require_authentication
AUTH002 = authentication.test_admin_api_requires_authentication
AUTH003 = authentication.test_http_nodes_require_authentication
AUTH004 = authentication.test_in_flow_authentication_reviewed
CFG001 = configuration.test_editor_not_bound_to_all_interfaces
CFG002 = configuration.test_function_timeout_bounded
CFG003 = configuration.test_http_parser_strict
CFG004 = configuration.test_workflow_caller_policy_restricted
CMD001 = commands.test_commands_do_not_dump_credentials
CMD002 = commands.test_ssh_host_keys_checked
CON001 = connectors.test_connectors_are_allowed
CON002 = connectors.test_destinations_are_allowed
CON003 = connectors.test_palette_installs_disabled
CON004 = connectors.test_function_external_modules_disabled
ENC001 = encryption.test_no_cleartext_to_remote_hosts
ENC002 = encryption.test_certificates_are_verified
ENC003 = encryption.test_credentials_encrypted_at_rest
EXP001 = exports.test_internal_data_stays_inside
EXP002 = exports.test_endpoints_do_not_serve_stored_data
INJ001 = injection.test_untrusted_input_does_not_reach_sinks
INJ002 = injection.test_sinks_do_not_interpolate_data
INJ003 = injection.test_outside_text_does_not_steer_acting_agents
INV001 = inventory.test_workflows_have_owners
INV002 = inventory.test_inactive_workflows_hold_no_credentials
INV003 = inventory.test_node_modules_identified
INV004 = inventory.test_no_pending_invitations
INV005 = inventory.test_connections_point_at_existing_nodes
LOG001 = logging_checks.test_execution_history_kept
LOG002 = logging_checks.test_entry_flows_catch_errors
LOG003 = logging_checks.test_entry_workflows_have_error_workflow
PERM002 = permissions.test_few_administrators
PLAT001 = platform_audit.test_platform_audit_findings
SEC001 = secrets.test_no_hardcoded_credentials
SEC002 = secrets.test_no_secret_printed_to_log
