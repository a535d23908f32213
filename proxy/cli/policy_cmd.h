/**
 * `postern policy test|explain|export-nats` (SPEC §3, §8): the tools a
 * security team uses to check a policy without running the sidecar.
 */
#ifndef POSTERN_CLI_POLICY_CMD_H
#define POSTERN_CLI_POLICY_CMD_H

/** argv[0] is "policy". Returns the process exit code: 0 ok, 1 when a test
 * failed or a file has errors, 2 for a usage error. */
int cli_policy_main(int argc, char **argv);

#endif
