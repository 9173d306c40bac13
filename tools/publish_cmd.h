// publish_cmd.h - x400sec publish: put certificates, cross-certificate
// pairs and CRLs into a live directory (issue #3, item 7).
//
// Reads PEM or DER files, builds CertificatePair values from their two
// halves, and writes them into one existing entry with a single LDAP
// modify through ldap::publish (values added, or with --replace replacing
// those of each attribute given).  Does not create entries.
#pragma once

#include "tools/x400sec_cli.h"

namespace x400::tools {

// publish_main runs "x400sec publish --entry DN ..." and returns the exit
// status: 0 written, 1 refused or failed, 2 bad command line.
int publish_main(const Args& args);

}  // namespace x400::tools
