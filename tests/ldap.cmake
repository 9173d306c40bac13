# ldap.cmake - helper programs for the ldap integration tests (included by
# tests/CMakeLists.txt).  ldap_live_test runs against a real slapd started
# by tests/integration/t-ldap-directory.sh.
add_executable(ldap_live_test ${CMAKE_CURRENT_SOURCE_DIR}/tools/ldap_live_test.cpp)
target_link_libraries(ldap_live_test PRIVATE x400_ldap Boost::unit_test_framework
    Threads::Threads)
target_compile_definitions(ldap_live_test PRIVATE BOOST_TEST_DYN_LINK)
set_target_properties(ldap_live_test PROPERTIES
    RUNTIME_OUTPUT_DIRECTORY ${PROJECT_BINARY_DIR}/tests)

# pkits_test runs NIST PKITS through Directory::validate_path against a
# real slapd started by tests/integration/t-pkits.sh (issue #3).
add_executable(pkits_test ${CMAKE_CURRENT_SOURCE_DIR}/tools/pkits_test.cpp)
target_link_libraries(pkits_test PRIVATE x400_ldap)
set_target_properties(pkits_test PROPERTIES
    RUNTIME_OUTPUT_DIRECTORY ${PROJECT_BINARY_DIR}/tests)

# ldap_client_test runs the LDAP client options (binds, TLS) against a
# real slapd started by tests/integration/t-ldap-client.sh (issue #3).
add_executable(ldap_client_test ${CMAKE_CURRENT_SOURCE_DIR}/tools/ldap_client_test.cpp)
target_link_libraries(ldap_client_test PRIVATE x400_ldap Boost::unit_test_framework)
target_compile_definitions(ldap_client_test PRIVATE BOOST_TEST_DYN_LINK)
set_target_properties(ldap_client_test PROPERTIES
    RUNTIME_OUTPUT_DIRECTORY ${PROJECT_BINARY_DIR}/tests)
