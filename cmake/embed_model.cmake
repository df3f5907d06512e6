# Turns a model file into a C array (amdi_default_model_data / _len) at build time.
# The library parses it with the same bounds-checked parser as model files on disk.
# A missing model file yields an empty array: amd_model_default() then returns NULL.
if(EXISTS "${IN}")
  file(READ "${IN}" hex HEX)
else()
  set(hex "")
endif()
string(LENGTH "${hex}" n)
math(EXPR len "${n} / 2")
string(REGEX REPLACE "([0-9a-f][0-9a-f])" "0x\\1," body "${hex}")
file(WRITE "${OUT}" "/* Generated from ${IN} by cmake/embed_model.cmake; do not edit. */\n#include <stddef.h>\n"
  "extern const unsigned char amdi_default_model_data[];\nextern const size_t amdi_default_model_len;\n"
  "__attribute__((visibility(\"hidden\"))) const unsigned char amdi_default_model_data[] = {${body} 0};\n"
  "__attribute__((visibility(\"hidden\"))) const size_t amdi_default_model_len = ${len};\n")
