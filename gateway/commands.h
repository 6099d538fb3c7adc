/* SPDX-License-Identifier: MIT */
/* commands.h - the CLI verbs. Each takes the arguments after the verb and returns the
 * process exit status; only main() exits. Messages for the user go to stderr. */
#ifndef FG_COMMANDS_H
#define FG_COMMANDS_H

int fg_cmd_serve(int argc, char **argv);
int fg_cmd_validate(int argc, char **argv);
int fg_cmd_invoke(int argc, char **argv);
int fg_cmd_reload(int argc, char **argv);
int fg_cmd_queue(int argc, char **argv);
int fg_cmd_dlq(int argc, char **argv);
int fg_cmd_schedule(int argc, char **argv);
int fg_cmd_schedules(int argc, char **argv);
int fg_cmd_filter(int argc, char **argv);
int fg_cmd_cost(int argc, char **argv);
int fg_cmd_logs(int argc, char **argv);

#endif
