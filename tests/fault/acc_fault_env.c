/*
 * acc_fault_env — the test definition of acc_fault_point (common/acc_fault.h), linked ahead
 * of libaccord.a into the test copies of the node binaries only ($(BUILD)/tests/bin/).
 *
 * ACC_FAULT=SCOPE.NAME[:N] makes the process write one line to stderr and _exit(99) at the
 * N-th hit (default 1) of that point; any other point returns. Without ACC_FAULT every
 * point returns, so these binaries otherwise behave as the production ones.
 */
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "acc_fault.h"

/* Hits of the chosen point so far. Process-wide on purpose: the point may be reached from
 * any thread, and "the N-th hit" means in this process. */
static atomic_long s_hits;

void
acc_fault_point(const char *scope, const char *name)
{
    const char *want = getenv("ACC_FAULT");
    if (!want || !*want)
        return;
    size_t ls = strlen(scope), ln = strlen(name);
    if (strncmp(want, scope, ls) != 0 || want[ls] != '.' || strncmp(want + ls + 1, name, ln) != 0)
        return;
    const char *rest = want + ls + 1 + ln;
    long nth = 1;
    if (*rest == ':')
        nth = strtol(rest + 1, NULL, 10);
    else if (*rest)
        return; /* a longer name that merely starts like this one */
    long hit = atomic_fetch_add(&s_hits, 1) + 1;
    if (hit != nth)
        return;
    char line[160];
    int len =
        snprintf(line, sizeof line, "acc_fault: exiting at %s.%s (hit %ld)\n", scope, name, hit);
    if (len > 0 && write(2, line, (size_t)len) < 0)
        line[0] = '\0';
    _exit(99);
}
