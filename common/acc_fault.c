/*
 * acc_fault — the production definition of acc_fault_point: nothing. This file must hold
 * nothing else, so that the linker never needs it in a binary that brings its own
 * definition (tests/fault/acc_fault_env.c, linked ahead of libaccord.a).
 */
#include "acc_fault.h"

void
acc_fault_point(const char *scope, const char *name)
{
    (void)scope;
    (void)name;
}
