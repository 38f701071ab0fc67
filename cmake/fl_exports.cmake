# fl_exports.cmake -- the executable's dynamic symbol table is the protocol API.
#
# Plugins are dlopen'ed into the faultline executable and resolve fl_send & co. against
# it, so the executable must export those functions; it must export nothing else, or a
# plugin that defines (or links a library defining) a function of the same name as one
# of ours -- canonical/raft's raft_apply against the old raft_apply of our Raft -- would
# silently call ours: the dynamic linker looks in the executable first.
#
# The list is generated from core/faultline.h when CMake configures (and again whenever
# the header changes: it is a configure dependency), so a service added to the header
# cannot be forgotten here.  A declaration is a line of the header starting with a type
# at column 0 and naming fl_something followed by "(": the header's style.  Struct
# members are indented and comments start with "/*" or " *", so neither matches.
# tests/cli/cli_exports.sh checks the result both ways with nm.

# fl_export_api(TARGET HEADER): link executable TARGET so that it exports exactly the
# functions HEADER declares (ld's --dynamic-list; ENABLE_EXPORTS would export all).
function(fl_export_api target header)
  set_property(DIRECTORY APPEND PROPERTY CMAKE_CONFIGURE_DEPENDS ${header})
  file(READ ${header} text)
  string(REGEX MATCHALL "\n[A-Za-z][^\n;(]*[ *]fl_[a-z0-9_]+\\(" decls "${text}")
  file(RELATIVE_PATH rel ${CMAKE_SOURCE_DIR} ${header})
  set(list "/* generated from ${rel} by cmake/fl_exports.cmake */\n{\n")
  foreach(decl ${decls})
    string(REGEX MATCH "fl_[a-z0-9_]+\\($" name "${decl}")
    string(REGEX REPLACE "\\($" "" name "${name}")
    string(APPEND list "  ${name};\n")
  endforeach()
  string(APPEND list "};\n")
  list(LENGTH decls n)
  if(n LESS 1)
    message(FATAL_ERROR "fl_export_api: no function declarations found in ${header}")
  endif()
  set(file ${CMAKE_CURRENT_BINARY_DIR}/${target}.dynlist)
  file(CONFIGURE OUTPUT ${file} CONTENT "${list}" @ONLY) # rewritten only when it changes
  target_link_options(${target} PRIVATE "LINKER:--dynamic-list=${file}")
  set_property(TARGET ${target} APPEND PROPERTY LINK_DEPENDS ${file})
endfunction()
