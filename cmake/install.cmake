# `cmake --install build --prefix P`: the libraries, the public headers, the `axon` CLI, the CMake
# package (find_package(axon 0.1), targets axon::axon, axon::axon_static, axon::onnx) and axon.pc.
# Everything is relative to P, so the tree may be installed anywhere and moved.
include(CMakePackageConfigHelpers)

install(TARGETS axon axon_static axon_onnx EXPORT axonTargets
  LIBRARY DESTINATION ${CMAKE_INSTALL_LIBDIR}
  ARCHIVE DESTINATION ${CMAKE_INSTALL_LIBDIR}
  RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR})
install(TARGETS axon_cli RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR})
install(DIRECTORY include/axon DESTINATION ${CMAKE_INSTALL_INCLUDEDIR} FILES_MATCHING PATTERN "*.h")
install(FILES ${CMAKE_CURRENT_BINARY_DIR}/include/axon/version.h DESTINATION ${CMAKE_INSTALL_INCLUDEDIR}/axon)

set(AXON_CMAKE_DIR ${CMAKE_INSTALL_LIBDIR}/cmake/axon)
install(EXPORT axonTargets NAMESPACE axon:: DESTINATION ${AXON_CMAKE_DIR})
configure_package_config_file(cmake/axonConfig.cmake.in ${CMAKE_CURRENT_BINARY_DIR}/axonConfig.cmake
  INSTALL_DESTINATION ${AXON_CMAKE_DIR})
# Before 1.0 a minor version may break the API: 0.1 accepts 0.1.x only.
write_basic_package_version_file(${CMAKE_CURRENT_BINARY_DIR}/axonConfigVersion.cmake
  COMPATIBILITY SameMinorVersion)
install(FILES ${CMAKE_CURRENT_BINARY_DIR}/axonConfig.cmake ${CMAKE_CURRENT_BINARY_DIR}/axonConfigVersion.cmake
  DESTINATION ${AXON_CMAKE_DIR})

# axon.pc finds its prefix from its own place (${pcfiledir}), not from CMAKE_INSTALL_PREFIX, which
# `cmake --install --prefix` overrides after configuring.
file(RELATIVE_PATH AXON_PC_TO_PREFIX /${CMAKE_INSTALL_LIBDIR}/pkgconfig /)
string(REGEX REPLACE "/$" "" AXON_PC_TO_PREFIX "${AXON_PC_TO_PREFIX}")
configure_file(cmake/axon.pc.in ${CMAKE_CURRENT_BINARY_DIR}/axon.pc @ONLY)
install(FILES ${CMAKE_CURRENT_BINARY_DIR}/axon.pc DESTINATION ${CMAKE_INSTALL_LIBDIR}/pkgconfig)
