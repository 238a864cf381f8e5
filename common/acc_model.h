/*
 * acc_model — the names of accord's enums as people and scripts see them: in JSON
 * (reporting's timeline, accordctl --json, the HTTP API), in command-line arguments and
 * tables, in log lines and error messages. Each enum has one table in acc_model.c and no
 * other file spells its names.
 *
 * The names are not protobuf's (VERDICT_NOT_VIOLATING is "not-violating", OUTCOME_NEW_CASE
 * is "new_case"): they are part of the CLI and JSON interfaces and change only with them.
 *
 * Every *_name function takes a value of its proto enum (as an int, so that values from a
 * newer peer or a bad record are covered) and returns a static string, never NULL: the
 * value's name when the proto defines it, "unspecified" for 0 (every enum's *_UNSPECIFIED,
 * "not set"), and "unknown" for any other value.
 * Every *_parse function takes a name as *_name gives it (exact, case-sensitive) and
 * returns its value; -1 for NULL and any other text, "unspecified" and "unknown" included.
 */
#ifndef ACC_MODEL_H
#define ACC_MODEL_H

/* CaseStatus (case.proto): "open", "verifying", "decided", "closed". */
const char *acc_case_status_name(int status);
int acc_case_status_parse(const char *name);

/* Outcome (control.proto): "new_case", "attached", "already_present", "rejected". */
const char *acc_outcome_name(int outcome);
int acc_outcome_parse(const char *name);

/* Verdict (verification.proto): "violating", "not-violating", "inconclusive". */
const char *acc_verdict_name(int verdict);
int acc_verdict_parse(const char *name);

/* MeasureStatus (assignment.proto): "assigned", "accepted", "done", "failed". */
const char *acc_measure_status_name(int status);
int acc_measure_status_parse(const char *name);

/* NoticeStatus (notification.proto): "queued", "delivered", "parked". */
const char *acc_notice_status_name(int status);
int acc_notice_status_parse(const char *name);

#endif
