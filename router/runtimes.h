/* SPDX-License-Identifier: MIT */
/* runtimes.h - where the bundled bootstraps are, decided once at start.
 *
 * fngate runs from its build tree (make run, make test) or installed (make install, the
 * Debian package): installed, the binary is PREFIX/bin/fngate and the bootstraps are
 * PREFIX/share/fngate/runtimes, found from the binary's own path, so a package can be
 * moved; in the build tree they are the source tree's runtimes/ (the path CMake compiled
 * in). FNGATE_RUNTIME_DIR overrides both. A directory that is missing or unreadable, or
 * lacks the bootstrap of a runtime the configuration uses, is an error at start naming
 * the path, not a Runtime.ExitError at the first invoke. Tests:
 * tests/integration/test_install.py. */
#ifndef FG_RUNTIMES_H
#define FG_RUNTIMES_H

#include <limits.h>

#include "../config/config.h"
#include "../core/err.h"

/* Fills out (PATH_MAX) with the runtime directory for conf's functions. 0, or -errno with
 * err naming the path and what is wrong. */
int fg_runtimes_locate(const struct fg_config *conf, char *out, struct fg_err *err) FG_MUST_CHECK;

/* PREFIX/share/fngate/SUB when the running binary is PREFIX/bin/fngate (the bundled
 * bootstraps, the console's files): 1 and out (PATH_MAX) filled; 0 when the binary is not in
 * a bin/ directory (a build tree). */
int fg_runtimes_installed(const char *sub, char *out);

#endif
