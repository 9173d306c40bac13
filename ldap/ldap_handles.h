// ldap_handles.h - RAII for OpenLDAP libldap handles (internal to ldap/).
//
// One std::unique_ptr alias per libldap object, with its release function
// as the deleter.  This header is the only place in the tree that names
// ldap_unbind_ext, ldap_msgfree, ber_free, ldap_memfree,
// ldap_value_free_len and ldap_free_urldesc.  A handle is wrapped the
// moment libldap hands it over, even when the call that produced it failed
// (ldap_search_ext_s may return a message together with an error).
#pragma once

#include <ldap.h>

#include <memory>

namespace x400::ldap {

struct LdapUnbind {
    void operator()(LDAP* ld) const { ::ldap_unbind_ext(ld, nullptr, nullptr); }
};
using LdapPtr = std::unique_ptr<LDAP, LdapUnbind>;

struct LdapMsgFree {
    void operator()(LDAPMessage* m) const { ::ldap_msgfree(m); }
};
using LdapMessagePtr = std::unique_ptr<LDAPMessage, LdapMsgFree>;

// BerElementPtr owns the iterator of ldap_first_attribute; the buffer
// belongs to the message, hence freebuf 0.
struct BerFree {
    void operator()(BerElement* b) const { ::ber_free(b, 0); }
};
using BerElementPtr = std::unique_ptr<BerElement, BerFree>;

// LdapString owns a string from ldap_get_dn or ldap_first/next_attribute.
struct LdapMemFree {
    void operator()(char* s) const { ::ldap_memfree(s); }
};
using LdapString = std::unique_ptr<char, LdapMemFree>;

// LdapValuesPtr owns the NULL-terminated array of ldap_get_values_len.
struct LdapValuesFree {
    void operator()(berval** v) const { ::ldap_value_free_len(v); }
};
using LdapValuesPtr = std::unique_ptr<berval*, LdapValuesFree>;

struct LdapUrlFree {
    void operator()(LDAPURLDesc* u) const { ::ldap_free_urldesc(u); }
};
using LdapUrlPtr = std::unique_ptr<LDAPURLDesc, LdapUrlFree>;

}  // namespace x400::ldap
