# asn1.cmake - helper programs of the asn1 part's integration tests.
# asn1_samples writes DER made by our encoder for tshark to decode
# (tests/integration/t-asn1-tshark.sh).
add_executable(asn1_samples ${CMAKE_CURRENT_SOURCE_DIR}/tools/asn1_samples.cpp)
target_link_libraries(asn1_samples PRIVATE x400_asn1)
set_target_properties(asn1_samples PROPERTIES
    RUNTIME_OUTPUT_DIRECTORY ${PROJECT_BINARY_DIR}/tests)
