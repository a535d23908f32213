/**
 * Evaluates a GraphQL operation against the policy as the sidecar would,
 * without sending anything: every field's decision and, for root fields,
 * the rendered NATS subjects and their publish/subscribe decisions.
 */
#ifndef POSTERN_CLI_POLICY_EVAL_H
#define POSTERN_CLI_POLICY_EVAL_H

#include "pipeline/runtime.h"
#include "policy/policy_tests.h"

/** Runs one decision test case, printing "ok   NAME" or "FAIL NAME: why"
 * (with file:line). Returns 0 when the expectation holds, else 1. */
int cli_policy_run_case(pipe_runtime *rt, const policy_test_file *tf, const policy_test_case *tc);

/** `policy explain`: claims is a JSON text or a file holding one; prints
 * the bindings that matched and each field's decision. Returns the exit
 * code (0, or 1 for bad input). */
int cli_policy_explain(pipe_runtime *rt, const char *claims, const char *query,
                       const char *variables);

#endif
