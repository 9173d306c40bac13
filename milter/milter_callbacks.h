// milter_callbacks.h - registering x400sec with libmilter.
#pragma once

#include "milter/milter_session.h"

namespace x400::milter {

// run_milter registers the callbacks, opens the socket and serves until
// the milter is stopped.  It returns the process exit status.
int run_milter(Shared& shared);

}  // namespace x400::milter
