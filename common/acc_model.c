/* acc_model — see acc_model.h. */
#include "acc_model.h"

#include <string.h>

#include "accord/v1/case.pb-c.h"
#include "accord/v1/control.pb-c.h"

static const char *const s_status[] = {
    [ACCORD__V1__CASE_STATUS__CASE_STATUS_OPEN] = "open",
    [ACCORD__V1__CASE_STATUS__CASE_STATUS_VERIFYING] = "verifying",
    [ACCORD__V1__CASE_STATUS__CASE_STATUS_DECIDED] = "decided",
    [ACCORD__V1__CASE_STATUS__CASE_STATUS_CLOSED] = "closed",
};

const char *
acc_case_status_name(int status)
{
    if (status <= 0 || status >= (int)(sizeof s_status / sizeof *s_status) || !s_status[status])
        return "unknown";
    return s_status[status];
}

int
acc_case_status_parse(const char *name)
{
    for (int i = 1; i < (int)(sizeof s_status / sizeof *s_status); i++)
        if (s_status[i] && strcmp(s_status[i], name) == 0)
            return i;
    return -1;
}

const char *
acc_outcome_name(int outcome)
{
    switch (outcome) {
    case ACCORD__V1__OUTCOME__OUTCOME_NEW_CASE:
        return "new_case";
    case ACCORD__V1__OUTCOME__OUTCOME_ATTACHED:
        return "attached";
    case ACCORD__V1__OUTCOME__OUTCOME_ALREADY_PRESENT:
        return "already_present";
    case ACCORD__V1__OUTCOME__OUTCOME_REJECTED:
        return "rejected";
    default:
        return "unknown";
    }
}
