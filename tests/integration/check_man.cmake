# Renders a man page with every groff warning enabled; fails on any
# diagnostic, since `man` would show the same problems to users.
# Usage: cmake -DGROFF=groff -DPAGE=file.1 -P check_man.cmake
if(NOT EXISTS "${PAGE}")
  message(FATAL_ERROR "man page ${PAGE} does not exist")
endif()
execute_process(
  COMMAND ${GROFF} -man -Tutf8 -ww -z "${PAGE}"
  RESULT_VARIABLE rc
  OUTPUT_VARIABLE out
  ERROR_VARIABLE err)
if(NOT rc EQUAL 0 OR NOT "${out}${err}" STREQUAL "")
  message(FATAL_ERROR "groff -ww on ${PAGE} (exit ${rc}):\n${out}${err}")
endif()
message(STATUS "${PAGE}: renders without warnings")
