// inspect.h - x400sec inspect: print message-tokens readably.
#pragma once

#include "tools/x400sec_cli.h"

namespace x400::tools {

// inspect_main prints every token in a message file, a base64 token or a
// DER token (file or standard input).  Exit 1 if any token is malformed.
int inspect_main(const Args& args);

}  // namespace x400::tools
