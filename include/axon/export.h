// AXON_API marks what libaxon exports. The library is compiled with -fvisibility=hidden, so that
// only the public API (the headers in include/axon/) is visible to an application and nothing
// internal (graph IR, kernels, Highway, TBB, protobuf) can clash with or be linked by it.
// A static libaxon.a needs no export: there the macro is empty (AXON_STATIC, which the CMake
// package's axon::axon_static and `pkg-config --static` define; harmless when left out on ELF).
#pragma once

#if defined(AXON_STATIC)
#define AXON_API
#elif defined(_WIN32)
#if defined(AXON_BUILDING_LIBRARY)
#define AXON_API __declspec(dllexport)
#else
#define AXON_API __declspec(dllimport)
#endif
#elif defined(__GNUC__) || defined(__clang__)
#define AXON_API __attribute__((visibility("default")))
#else
#define AXON_API
#endif
