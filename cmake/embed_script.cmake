# Generate a C file holding a Lua script's text and SHA1, so the daemons
# can call EVALSHA without a SCRIPT LOAD round trip.
# Usage: cmake -DINPUT=limit.lua -DOUTPUT=limit_script.c -DNAME=limiter_script
#        -P embed_script.cmake
file(READ "${INPUT}" hex HEX)
file(SHA1 "${INPUT}" sha1)
string(REGEX REPLACE "([0-9a-f][0-9a-f])" "0x\\1," bytes "${hex}")
string(REGEX REPLACE "(0x..,0x..,0x..,0x..,0x..,0x..,0x..,0x..,0x..,0x..,0x..,0x..,)" "\\1\n    " bytes "${bytes}")
file(WRITE "${OUTPUT}"
"/* Generated from ${INPUT} by embed_script.cmake; do not edit. */\n"
"const char ${NAME}[] = {\n    ${bytes}0x00};\n"
"const char ${NAME}_sha1[] = \"${sha1}\";\n")
