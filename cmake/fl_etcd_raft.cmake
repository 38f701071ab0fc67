# The etcd-raft module (sim/protocols/etcd-raft/): a Go c-shared library wrapping etcd's
# raft.RawNode (libfl_etcd_go.so) and the C protocol around it (libetcd-raft.so,
# which needs the Go library: DT_NEEDED, found through RUNPATH $ORIGIN), both in
# <build>/etcd-raft/.  Go builds offline in GOPATH mode against Debian's sources, with
# its cache under the build tree.  The Go library gets a SONAME, so that the module's
# DT_NEEDED names it and plugin identity (sim/plugin_id.c) hashes it.
set(FL_ETCD_DIR ${CMAKE_BINARY_DIR}/etcd-raft)
set(FL_ETCD_GO_SRC ${CMAKE_SOURCE_DIR}/sim/protocols/etcd-raft/go)
file(MAKE_DIRECTORY ${FL_ETCD_DIR})
add_custom_command(
  OUTPUT ${FL_ETCD_DIR}/libfl_etcd_go.so ${FL_ETCD_DIR}/libfl_etcd_go.h
  COMMAND ${CMAKE_COMMAND} -E env GO111MODULE=off GOPROXY=off GOFLAGS= GOTOOLCHAIN=local
          GOPATH=${CMAKE_BINARY_DIR}/gopath:${FL_ETCD_GOPATH_SYSTEM}
          GOCACHE=${CMAKE_BINARY_DIR}/gocache
          ${FL_GO} build -buildmode=c-shared -trimpath
          "-ldflags=-extldflags=-Wl,-soname,libfl_etcd_go.so"
          -o ${FL_ETCD_DIR}/libfl_etcd_go.so .
  WORKING_DIRECTORY ${FL_ETCD_GO_SRC}
  DEPENDS ${FL_ETCD_GO_SRC}/etcdraft.go ${FL_ETCD_GO_SRC}/bridge.h
  COMMENT "go build: etcd-raft's Go library (libfl_etcd_go.so)"
  VERBATIM)
add_custom_target(fl_etcd_go DEPENDS ${FL_ETCD_DIR}/libfl_etcd_go.so)

file(GLOB FL_ETCD_SRCS CONFIGURE_DEPENDS ${CMAKE_SOURCE_DIR}/sim/protocols/etcd-raft/*.c)
add_library(fl_etcd_raft MODULE ${FL_ETCD_SRCS})
add_dependencies(fl_etcd_raft fl_etcd_go)
target_include_directories(fl_etcd_raft PRIVATE ${CMAKE_SOURCE_DIR} ${FL_ETCD_DIR}
                                               ${FL_ETCD_GO_SRC})
target_compile_definitions(fl_etcd_raft PRIVATE _GNU_SOURCE)
target_link_libraries(fl_etcd_raft PRIVATE ${FL_ETCD_DIR}/libfl_etcd_go.so PkgConfig::CJSON)
set_target_properties(fl_etcd_raft PROPERTIES
  PREFIX "lib" OUTPUT_NAME etcd-raft
  LIBRARY_OUTPUT_DIRECTORY ${FL_ETCD_DIR}
  BUILD_RPATH "\$ORIGIN" INSTALL_RPATH "\$ORIGIN"
  LINK_OPTIONS "-Wl,--enable-new-dtags")
# faultline finds it beside itself: build the module with the executable
add_dependencies(faultline fl_etcd_raft)
