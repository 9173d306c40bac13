#!/usr/bin/env python3
# pkits_cases.py - turn expected/pkits.json (pyhanko-certvalidator's PKITS
# fixtures) into the tab-separated lines pkits_test reads, one case a line:
#
#   id name cert want revocation policies explicit inhibit-map inhibit-any
#
# want is "pass", or "fail:" and the fixture's error class (RevokedError,
# InsufficientRevinfoError, StaleRevinfoError, PathValidationError) for a
# path that must not validate; revocation is 0 when the fixture turns CRL
# checking off; policies is a comma-separated list of OIDs or "-"; the
# last three are 0 or 1.  The fixture's other_certs and crls lists are
# deliberately dropped: the test finds them in the directory.
import json
import sys


def main():
    if len(sys.argv) != 2:
        sys.exit("usage: pkits_cases.py expected/pkits.json")
    with open(sys.argv[1], encoding="utf-8") as f:
        cases = json.load(f)
    for case in cases:
        params = case.get("params", {})
        policies = params.get("user_initial_policy_set", [])
        fields = [
            case["id"],
            case["name"],
            case["cert"],
            ("fail:" + case["error"].get("class", "?")) if "error" in case else "pass",
            "0" if case.get("revocation") is False else "1",
            ",".join(policies) if policies else "-",
            "1" if params.get("initial_explicit_policy") else "0",
            "1" if params.get("initial_policy_mapping_inhibit") else "0",
            "1" if params.get("initial_any_policy_inhibit") else "0",
        ]
        for field in fields:
            if "\t" in field or "\n" in field:
                sys.exit("pkits_cases.py: case %s: tab or newline in a field" % case["id"])
        print("\t".join(fields))


if __name__ == "__main__":
    main()
