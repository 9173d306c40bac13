# store.cmake - the state store's concurrency test (included by
# tests/CMakeLists.txt): several processes and threads on one LMDB store.
add_executable(store_stress ${CMAKE_CURRENT_SOURCE_DIR}/tools/store_stress.cpp)
target_link_libraries(store_stress PRIVATE x400_store Threads::Threads)
set_target_properties(store_stress PROPERTIES
    RUNTIME_OUTPUT_DIRECTORY ${PROJECT_BINARY_DIR}/tests)
add_test(NAME store.concurrency
    COMMAND sh -c "d=$(mktemp -d /tmp/x400sec-stress.XXXXXX) && \
$<TARGET_FILE:store_stress> \"$d\" 4 8 100; rc=$?; rm -rf \"$d\"; exit $rc")
