// state_cmd.h - x400sec state: look into and reset the milter's state store.
#pragma once

#include "tools/x400sec_cli.h"

namespace x400::tools {

// state_list_main prints one line per (originator, recipient) pair.
int state_list_main(const Args& args);

// state_show_main prints everything the store holds about one pair.
int state_show_main(const Args& args);

// state_export_main writes every pair, or one, as JSON lines.
int state_export_main(const Args& args);

// state_reset_main drops the replay window of one pair; --reason is
// required and logged (syslog, facility mail, and standard error).
int state_reset_main(const Args& args);

}  // namespace x400::tools
