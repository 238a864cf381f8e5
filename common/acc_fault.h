/*
 * acc_fault — named fault points for the tests that prove crash safety.
 *
 * A fault point marks a moment where a crash is the interesting case: data committed but
 * the answer not yet sent (intake), a consumer's write transaction committed (services).
 * In libaccord.a, and so in every production binary, acc_fault_point does nothing and
 * nothing can make it do anything. Only the test copies of the node binaries
 * ($(BUILD)/tests/bin/, built by `make test`) link tests/fault/acc_fault_env.c ahead of the
 * library; that definition reads the environment variable ACC_FAULT=SCOPE.NAME[:N] and
 * ends the process with _exit(99) at the N-th (default first) hit of that point, so that a
 * test can stage "committed, then died before answering" deterministically.
 *
 * Points (SCOPE.NAME):
 *   intake.submit.committed      a client's SubmitReports committed, its answer not sent
 *   intake.deliver.committed     a peer's Deliver committed, its acks not sent
 *   SERVICE.apply.committed      a stream consumer's write (effects and cursor) committed,
 *                                SERVICE being the consuming service's name
 */
#ifndef ACC_FAULT_H
#define ACC_FAULT_H

/* acc_fault_point — mark fault point @scope.@name (both static strings). Returns normally
 * in production builds; in the test binaries it may not return (the process exits 99). */
void acc_fault_point(const char *scope, const char *name);

#endif
