/* error.c -- text for the FL_E* codes of error.h. */
#include "core/error.h"

const char *fl_strerror(int code)
{
    switch (code) {
    case 0:
        return "success";
#define FL_ERR_CASE(name, value, text)                                                             \
    case name:                                                                                     \
        return text;
        FL_ERRORS(FL_ERR_CASE)
#undef FL_ERR_CASE
    }
    return "unknown error";
}
