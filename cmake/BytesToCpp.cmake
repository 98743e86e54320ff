# cmake -DINPUT=f -DOUTPUT=f.cpp -DSYMBOL=name -P BytesToCpp.cmake: a file's bytes as a C++ array.
file(READ "${INPUT}" hex HEX)
string(LENGTH "${hex}" length)
math(EXPR size "${length} / 2")
string(REGEX REPLACE "([0-9a-f][0-9a-f])" "0x\\1," bytes "${hex}")
file(WRITE "${OUTPUT}" "#include <cstddef>\nextern const unsigned char ${SYMBOL}[] = {${bytes}};\nextern const size_t ${SYMBOL}_size = ${size};\n")
