# Compile C++ kernel helpers to LLVM bitcode with clang-19 and embed the bytes in a C++ source, so
# every JIT module can link them (the Halide runtime idea: helpers written once, specialised by LLVM).
#
# mxjit_embed_bitcode(<target> SOURCE <file.cpp> SYMBOL <name> INCLUDES <dirs...> [DEPENDS <files...>])
# (headers the source includes are tracked from clang's depfile)
# adds a static library <target> defining `extern const unsigned char <name>[]; extern const size_t <name>_size;`.
function(mxjit_embed_bitcode target)
  cmake_parse_arguments(E "" "SOURCE;SYMBOL" "INCLUDES;DEPENDS" ${ARGN})
  set(bc "${CMAKE_CURRENT_BINARY_DIR}/${E_SYMBOL}.bc")
  set(cpp "${CMAKE_CURRENT_BINARY_DIR}/${E_SYMBOL}.cpp")
  set(include_flags "")
  foreach(dir ${E_INCLUDES})
    list(APPEND include_flags "-I${dir}")
  endforeach()
  # Simplified here once (inlining, SROA, dead code: most of the optimiser's work on C++ templates and
  # lambdas), so each JIT compile starts from lean IR. Nothing is vectorised or unrolled for a generic
  # CPU here: the JIT does that after the kernel's constants are inlined, for the real target.
  add_custom_command(
    OUTPUT "${bc}"
    COMMAND ${MXJIT_CLANG} -std=c++20 -O2 -fno-vectorize -fno-slp-vectorize -fno-unroll-loops -emit-llvm -c -fno-exceptions -fno-rtti
            -fno-fast-math -Wno-psabi ${include_flags} -MD -MF "${bc}.d" "${E_SOURCE}" -o "${bc}"
    DEPENDS "${E_SOURCE}" ${E_DEPENDS}
    DEPFILE "${bc}.d"  # every header the helpers include, as clang found them
    COMMENT "clang-19: ${E_SOURCE} -> bitcode"
    VERBATIM)
  add_custom_command(
    OUTPUT "${cpp}"
    COMMAND ${CMAKE_COMMAND} -DINPUT=${bc} -DOUTPUT=${cpp} -DSYMBOL=${E_SYMBOL} -P "${CMAKE_SOURCE_DIR}/cmake/BytesToCpp.cmake"
    DEPENDS "${bc}" "${CMAKE_SOURCE_DIR}/cmake/BytesToCpp.cmake"
    VERBATIM)
  add_library(${target} STATIC "${cpp}")
endfunction()
