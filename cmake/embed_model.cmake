# Turns a model file into a C array (<SYM>_data / <SYM>_len) at build time; SYM defaults to
# amdi_default_model. The library parses it with the same bounds-checked parser as model files
# on disk. A missing model file yields an empty array (amd_model_default() then returns NULL);
# libamd/CMakeLists.txt refuses to configure without the files that are required.
if(NOT DEFINED SYM)
  set(SYM amdi_default_model)
endif()
if(EXISTS "${IN}")
  file(READ "${IN}" hex HEX)
else()
  set(hex "")
endif()
string(LENGTH "${hex}" n)
math(EXPR len "${n} / 2")
string(REGEX REPLACE "([0-9a-f][0-9a-f])" "0x\\1," body "${hex}")
file(WRITE "${OUT}" "/* Generated from ${IN} by cmake/embed_model.cmake; do not edit. */\n#include <stddef.h>\n"
  "extern const unsigned char ${SYM}_data[];\nextern const size_t ${SYM}_len;\n"
  "__attribute__((visibility(\"hidden\"))) const unsigned char ${SYM}_data[] = {${body} 0};\n"
  "__attribute__((visibility(\"hidden\"))) const size_t ${SYM}_len = ${len};\n")
