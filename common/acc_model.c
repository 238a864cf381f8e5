/* acc_model — see acc_model.h. */
#include "acc_model.h"

#include <string.h>

#include "accord/v1/assignment.pb-c.h"
#include "accord/v1/case.pb-c.h"
#include "accord/v1/control.pb-c.h"
#include "accord/v1/notification.pb-c.h"
#include "accord/v1/verification.pb-c.h"

/* One table per enum, indexed by value; slot 0 (UNSPECIFIED) stays NULL. */

static const char *const s_case_status[] = {
    [ACCORD__V1__CASE_STATUS__CASE_STATUS_OPEN] = "open",
    [ACCORD__V1__CASE_STATUS__CASE_STATUS_VERIFYING] = "verifying",
    [ACCORD__V1__CASE_STATUS__CASE_STATUS_DECIDED] = "decided",
    [ACCORD__V1__CASE_STATUS__CASE_STATUS_CLOSED] = "closed",
};

static const char *const s_outcome[] = {
    [ACCORD__V1__OUTCOME__OUTCOME_NEW_CASE] = "new_case",
    [ACCORD__V1__OUTCOME__OUTCOME_ATTACHED] = "attached",
    [ACCORD__V1__OUTCOME__OUTCOME_ALREADY_PRESENT] = "already_present",
    [ACCORD__V1__OUTCOME__OUTCOME_REJECTED] = "rejected",
};

static const char *const s_verdict[] = {
    [ACCORD__V1__VERDICT__VERDICT_VIOLATING] = "violating",
    [ACCORD__V1__VERDICT__VERDICT_NOT_VIOLATING] = "not-violating",
    [ACCORD__V1__VERDICT__VERDICT_INCONCLUSIVE] = "inconclusive",
};

static const char *const s_measure_status[] = {
    [ACCORD__V1__MEASURE_STATUS__MEASURE_STATUS_ASSIGNED] = "assigned",
    [ACCORD__V1__MEASURE_STATUS__MEASURE_STATUS_ACCEPTED] = "accepted",
    [ACCORD__V1__MEASURE_STATUS__MEASURE_STATUS_DONE] = "done",
    [ACCORD__V1__MEASURE_STATUS__MEASURE_STATUS_FAILED] = "failed",
};

static const char *const s_notice_status[] = {
    [ACCORD__V1__NOTICE_STATUS__NOTICE_STATUS_QUEUED] = "queued",
    [ACCORD__V1__NOTICE_STATUS__NOTICE_STATUS_DELIVERED] = "delivered",
    [ACCORD__V1__NOTICE_STATUS__NOTICE_STATUS_PARKED] = "parked",
};

#define S_COUNT(t) ((int)(sizeof(t) / sizeof(t)[0]))

static const char *
s_name(const char *const *names, int n, int v)
{
    if (v == 0)
        return "unspecified";
    if (v < 0 || v >= n || !names[v])
        return "unknown";
    return names[v];
}

static int
s_parse(const char *const *names, int n, const char *name)
{
    for (int v = 1; name && v < n; v++)
        if (names[v] && strcmp(names[v], name) == 0)
            return v;
    return -1;
}

const char *
acc_case_status_name(int status)
{
    return s_name(s_case_status, S_COUNT(s_case_status), status);
}

int
acc_case_status_parse(const char *name)
{
    return s_parse(s_case_status, S_COUNT(s_case_status), name);
}

const char *
acc_outcome_name(int outcome)
{
    return s_name(s_outcome, S_COUNT(s_outcome), outcome);
}

int
acc_outcome_parse(const char *name)
{
    return s_parse(s_outcome, S_COUNT(s_outcome), name);
}

const char *
acc_verdict_name(int verdict)
{
    return s_name(s_verdict, S_COUNT(s_verdict), verdict);
}

int
acc_verdict_parse(const char *name)
{
    return s_parse(s_verdict, S_COUNT(s_verdict), name);
}

const char *
acc_measure_status_name(int status)
{
    return s_name(s_measure_status, S_COUNT(s_measure_status), status);
}

int
acc_measure_status_parse(const char *name)
{
    return s_parse(s_measure_status, S_COUNT(s_measure_status), name);
}

const char *
acc_notice_status_name(int status)
{
    return s_name(s_notice_status, S_COUNT(s_notice_status), status);
}

int
acc_notice_status_parse(const char *name)
{
    return s_parse(s_notice_status, S_COUNT(s_notice_status), name);
}
