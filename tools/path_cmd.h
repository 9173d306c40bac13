// path_cmd.h - x400sec path: how the directory reaches a user's key (issue
// #3, item 7).
//
// Looks the address up through the same ldap/ code the milter uses (no
// cache), prints the certification path found with each certificate's
// source entry, every other certificate considered and why it was not
// used, and each candidate path's verdict; --dot writes the same as a
// Graphviz digraph.  Exit 0 when a path validates, 1 when refused.
#pragma once

#include "tools/x400sec_cli.h"

namespace x400::tools {

// path_main runs "x400sec path ADDRESS [options]".
int path_main(const Args& args);

}  // namespace x400::tools
