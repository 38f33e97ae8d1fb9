# Checks that a man page renders cleanly, twice:
#  1. groff -man -ww -z: every groff warning enabled; any diagnostic fails,
#     since `man` would show the same problems to users;
#  2. man -l at 80 columns with every groff warning (man --warnings=w) and
#     cat as the pager: a non-zero exit, empty output, output without the
#     page's NAME section, or anything on stderr fails.
# A missing groff or man fails (never a silent pass): scripts/setup-deps.sh
# installs them (groff-base, man-db).
# Usage: cmake -DGROFF=/usr/bin/groff -DMAN=/usr/bin/man -DPAGE=file.1 \
#          -P check_man.cmake
if(NOT EXISTS "${PAGE}")
  message(FATAL_ERROR "man page ${PAGE} does not exist")
endif()
if(NOT GROFF OR NOT EXISTS "${GROFF}")
  message(FATAL_ERROR "groff not found (GROFF='${GROFF}'): "
    "run scripts/setup-deps.sh (Debian package groff-base), then re-run cmake")
endif()
if(NOT MAN OR NOT EXISTS "${MAN}")
  message(FATAL_ERROR "man not found (MAN='${MAN}'): "
    "run scripts/setup-deps.sh (Debian package man-db), then re-run cmake")
endif()

execute_process(
  COMMAND ${GROFF} -man -Tutf8 -ww -z "${PAGE}"
  RESULT_VARIABLE rc
  OUTPUT_VARIABLE out
  ERROR_VARIABLE err)
if(NOT rc EQUAL 0 OR NOT "${out}${err}" STREQUAL "")
  message(FATAL_ERROR "groff -ww on ${PAGE} (exit ${rc}):\n${out}${err}")
endif()

# man(1) reads MANWIDTH and MANPAGER from the environment; -P cat as well,
# in case a MANPAGER from the caller's environment would win.
execute_process(
  COMMAND ${CMAKE_COMMAND} -E env MANWIDTH=80 MANPAGER=cat PAGER=cat
    MAN_KEEP_FORMATTING= LC_ALL=C.UTF-8
    ${MAN} --warnings=w -l -P cat "${PAGE}"
  RESULT_VARIABLE rc
  OUTPUT_VARIABLE out
  ERROR_VARIABLE err)
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "man -l ${PAGE} exited ${rc}:\n${err}")
endif()
if(NOT "${err}" STREQUAL "")
  message(FATAL_ERROR "man -l ${PAGE} printed on stderr:\n${err}")
endif()
if("${out}" STREQUAL "")
  message(FATAL_ERROR "man -l ${PAGE} printed nothing")
endif()
if(NOT out MATCHES "\nNAME\n")
  message(FATAL_ERROR "man -l ${PAGE}: no NAME section in the output:\n${out}")
endif()
message(STATUS "${PAGE}: renders without warnings (groff -ww, man -l)")
