/*
 * acc_model — small shared facts about domain objects: the names of case statuses and
 * report outcomes as they appear in JSON and on the command line.
 */
#ifndef ACC_MODEL_H
#define ACC_MODEL_H

/* acc_case_status_name — "open", "verifying", "decided", "closed"; "unknown" otherwise. */
const char *acc_case_status_name(int status);

/* acc_case_status_parse — the status for @name, or -1 when unknown. */
int acc_case_status_parse(const char *name);

/* acc_outcome_name — "new_case", "attached", "already_present", "rejected", "unknown". */
const char *acc_outcome_name(int outcome);

#endif
