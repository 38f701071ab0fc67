/*
 * error.h -- faultline's error codes.
 *
 * Functions return 0 on success and a negative FL_E* code on failure; the code says
 * what kind of failure it was, and a caller-supplied message buffer says the details.
 * One X-macro table gives both the enum and fl_strerror(), so they cannot drift.
 *
 * FL_EBADDB is a database the user gave that cannot be used as it is (a directory, a
 * missing directory, read-only, locked by another process, damaged): an input error,
 * unlike FL_EIO (a write that failed: disk full) and FL_EDB (faultline's own misuse).
 */
#ifndef FL_CORE_ERROR_H
#define FL_CORE_ERROR_H

#define FL_ERRORS(X)                                                                               \
    X(FL_EINVAL, -1, "invalid argument")                                                           \
    X(FL_ENOMEM, -2, "out of memory")                                                              \
    X(FL_EIO, -3, "input/output error")                                                            \
    X(FL_ELIMIT, -4, "limit exceeded")                                                             \
    X(FL_EPARSE, -5, "malformed input")                                                            \
    X(FL_ENOTFOUND, -6, "not found")                                                               \
    X(FL_ESCHEMA, -7, "not a faultline database or unsupported schema")                            \
    X(FL_EDB, -8, "database error")                                                                \
    X(FL_EPROTO, -9, "protocol error")                                                             \
    X(FL_EINTERNAL, -10, "internal error")                                                         \
    X(FL_EBADDB, -11, "database unusable as given")

enum fl_error {
#define FL_ERR_ENUM(name, code, text) name = code,
    FL_ERRORS(FL_ERR_ENUM)
#undef FL_ERR_ENUM
};

/* A static string describing code (0 gives "success"); never NULL. */
const char *fl_strerror(int code);

#endif /* FL_CORE_ERROR_H */
